import CacheStore
import NIOCore

extension ProxyHandler {
    /// The connection's sendfile state, made on first use; nil when stored bodies are copied: the connection
    /// may not send from the data file (``mayUseSendfile``), `cache.send_from` is `copy`, or the data file is not
    /// available.
    func sendfileState(_ context: ChannelHandlerContext) -> SendfileState? {
        if let state = self.sendfile { return state }
        let sendFrom = self.shared.configuration.cacheSendFrom
        guard self.mayUseSendfile, sendFrom != .copy, let dataFile = self.shared.cache?.store.dataFile else {
            return nil
        }
        self.sendfile = SendfileState.open(dataFile, fromMap: sendFrom == .map, for: context.channel)
        return self.sendfile
    }
}
