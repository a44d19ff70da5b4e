import NIOCore

/// Receives the bytes of a CONNECT tunnel's origin side, on the tunnel's event loop.
public protocol TunnelDelegate: AnyObject {
    func tunnel(_ tunnel: TunnelConnection, didReceive bytes: ByteBuffer)
    func tunnelDidClose(_ tunnel: TunnelConnection)
    func tunnelWritabilityDidChange(_ tunnel: TunnelConnection)
}

/// The origin side of a CONNECT tunnel: raw bytes, no HTTP, with read pausing for backpressure.
public final class TunnelConnection: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundIn = Never
    public typealias OutboundOut = ByteBuffer

    private var context: ChannelHandlerContext?
    private var gate = ReadGate()
    public weak var delegate: (any TunnelDelegate)?

    init() {}

    public var isWritable: Bool { self.context?.channel.isWritable ?? false }

    public func write(_ bytes: ByteBuffer) {
        self.context?.writeAndFlush(self.wrapOutboundOut(bytes), promise: nil)
    }

    public func pauseReading() { self.gate.pause() }

    public func resumeReading() {
        guard let context else { return }
        self.gate.resume(context: context)
    }

    public func close() {
        self.delegate = nil
        self.context?.close(promise: nil)
    }

    public func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    public func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.delegate?.tunnel(self, didReceive: self.unwrapInboundIn(data))
    }

    public func channelInactive(context: ChannelHandlerContext) {
        let delegate = self.delegate
        self.delegate = nil
        delegate?.tunnelDidClose(self)
        context.fireChannelInactive()
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.delegate?.tunnelWritabilityDidChange(self)
        context.fireChannelWritabilityChanged()
    }

    public func read(context: ChannelHandlerContext) {
        self.gate.read(context: context)
    }
}
