import CacheStore
import NIOCore

extension ProxyHandler {
    /// The connection's sendfile state, made on first use; nil when stored bodies are copied: the connection
    /// may not use sendfile (``mayUseSendfile``), `cache.sendfile` is off, or the data file is not available.
    func sendfileState(_ context: ChannelHandlerContext) -> SendfileState? {
        if let state = self.sendfile { return state }
        guard self.mayUseSendfile, self.shared.configuration.cacheSendfile,
            let dataFile = self.shared.cache?.store.dataFile
        else { return nil }
        self.sendfile = SendfileState.open(dataFile, for: context.channel)
        return self.sendfile
    }
}
