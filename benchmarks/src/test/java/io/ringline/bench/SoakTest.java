package io.ringline.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

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
        assertThat(soak(echoingAfter(() -> new ChannelInboundHandlerAdapter() {
            private boolean kept;

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (!kept) {
                    kept = true;
                    leaked.add(((ByteBuf) msg).retain()); // never released: its pool slot stays taken after the close
                }
                ctx.fireChannelRead(msg);
            }
        }))).isEqualTo(1);
    }

    @Test
    void aServerOpeningAFilePerConnectionFails() {
        assertThat(soak(echoingAfter(() -> new ChannelInboundHandlerAdapter() {
            @Override
            public void channelActive(ChannelHandlerContext ctx) throws IOException {
                leaked.add(FileChannel.open(Path.of("/proc/self/status"))); // never closed
                ctx.fireChannelActive();
            }
        }))).isEqualTo(1);
    }

    /** Each connection's pipeline: a fresh {@code leaky} handler, then the echo. */
    private static ChannelHandler echoingAfter(Supplier<ChannelHandler> leaky) {
        return new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel channel) {
                channel.pipeline().addLast(leaky.get(), EchoHandler.INSTANCE);
            }
        };
    }
}
