package io.ringline.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** The soak's verdict: passes a healthy server, fails one that leaks pool slots or file descriptors per connection. */
class SoakTest {
    private final List<Object> leaked = new CopyOnWriteArrayList<>();

    @AfterEach
    void releaseWhatTheLeakyHandlersKept() throws IOException {
        for (Object o : leaked) {
            if (o instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IOException(e);
                }
            } else {
                ReferenceCountUtil.release(o);
            }
        }
    }

    private static int soak(ChannelHandler handler) {
        Soak soak = new Soak();
        soak.handler = handler;
        return new CommandLine(soak).execute("--minutes", "0.04", "--connections", "4", "--interval", "1",
                "--reset-every", "5");
    }

    @Test
    void aHealthyServerPasses() {
        assertThat(soak(EchoHandler.INSTANCE)).isZero();
    }

    @Test
    void aSoakWhoseClientsCannotRunFails() {
        Soak soak = new Soak();
        int exitCode = new CommandLine(soak).execute("--minutes", "0.02", "--connections", "2", "--interval", "1",
                "--reset-every", "0");

        assertThat(exitCode).isNotZero();
    }

    @Test
    void aServerKeepingAReceivedBufferPerConnectionFails() {
        @ChannelHandler.Sharable
        class KeepsTheFirstRead extends ChannelInboundHandlerAdapter {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf buf = (ByteBuf) msg;
                ctx.write(buf.retainedDuplicate());
                if (!ctx.channel().hasAttr(io.netty.util.AttributeKey.valueOf("kept"))) {
                    ctx.channel().attr(io.netty.util.AttributeKey.valueOf("kept")).set(Boolean.TRUE);
                    leaked.add(buf); // never released: its pool slot stays taken after the connection closes
                } else {
                    buf.release();
                }
            }

            @Override
            public void channelReadComplete(ChannelHandlerContext ctx) {
                ctx.flush();
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
            }
        }

        assertThat(soak(new KeepsTheFirstRead())).isEqualTo(1);
    }

    @Test
    void aServerOpeningAFilePerConnectionFails() {
        @ChannelHandler.Sharable
        class OpensAFile extends ChannelInboundHandlerAdapter {
            @Override
            public void channelActive(ChannelHandlerContext ctx) throws IOException {
                leaked.add(FileChannel.open(Path.of("/proc/self/status"))); // never closed
                ctx.fireChannelActive();
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ctx.write(msg);
            }

            @Override
            public void channelReadComplete(ChannelHandlerContext ctx) {
                ctx.flush();
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
            }
        }

        assertThat(soak(new OpensAFile())).isEqualTo(1);
    }
}
