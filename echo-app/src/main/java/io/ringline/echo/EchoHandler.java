package io.ringline.echo;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.io.IOException;

/**
 * Writes every message back to its sender. Deliberately the plainest Netty handler there is, and the
 * same for every transport: whatever copying a transport saves, it saves below this handler.
 */
@Sharable
public final class EchoHandler extends ChannelInboundHandlerAdapter {
    /** Stateless, so one instance serves every channel. */
    public static final EchoHandler INSTANCE = new EchoHandler();

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(EchoHandler.class);

    private EchoHandler() { }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // Ownership of msg passes to the outbound buffer, which releases it once written.
        ctx.write(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // One flush per read batch rather than per message: fewer send calls under load.
        ctx.flush();
    }

    /**
     * The peer has shut its output down ({@code ALLOW_HALF_CLOSURE} is on, see {@link RunningServer}): close once
     * the echoes written so far are out. Left to the transport, the channel would close at once, and what it had not
     * sent yet was lost (Netty's io_uring transport cancels a send in flight: a peer lost even a one-byte echo).
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Resets and broken pipes are how load generators say goodbye: not worth a log line.
        if (!(cause instanceof IOException)) {
            logger.warn("Closing {} after an unexpected exception", ctx.channel(), cause);
        }
        ctx.close();
    }
}
