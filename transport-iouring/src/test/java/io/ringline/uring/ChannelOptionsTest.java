package io.ringline.uring;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.ringline.uring.TransportTestSupport.oneLoopGroup;
import static io.ringline.uring.TransportTestSupport.shutdown;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Channel options behave as with NIO (each test runs on both): every option README lists reads back what was set,
 * values NIO refuses are refused, and a closed channel's options never reach the socket that reuses its fd number.
 */
class ChannelOptionsTest {
    @ParameterizedTest
    @ValueSource(strings = {"nio", "ringline"})
    void everyListedOptionReadsBackWhatWasSet(String transport) {
        boolean nio = transport.equals("nio");
        Channel ch = nio ? new NioSocketChannel() : new UringSocketChannel();
        Channel srv = nio ? new NioServerSocketChannel() : new UringServerSocketChannel();
        Map<ChannelOption<?>, Object> client = new LinkedHashMap<>();
        client.put(ChannelOption.SO_REUSEADDR, true);
        client.put(ChannelOption.TCP_NODELAY, false);
        client.put(ChannelOption.SO_KEEPALIVE, true);
        client.put(ChannelOption.SO_LINGER, 0);
        client.put(ChannelOption.IP_TOS, 0x10);
        client.put(ChannelOption.ALLOW_HALF_CLOSURE, true);
        client.put(ChannelOption.AUTO_READ, false);
        client.put(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(100, 200));
        client.put(ChannelOption.ALLOCATOR, UnpooledByteBufAllocator.DEFAULT);
        client.put(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(1024));
        client.put(ChannelOption.CONNECT_TIMEOUT_MILLIS, 1234);
        Map<ChannelOption<?>, Object> server = new LinkedHashMap<>();
        server.put(ChannelOption.SO_BACKLOG, 17);
        server.put(ChannelOption.SO_REUSEADDR, false);
        server.put(ChannelOption.AUTO_READ, false);
        server.put(ChannelOption.CONNECT_TIMEOUT_MILLIS, 4321);
        List<String> wrong = new ArrayList<>();
        try {
            check(ch, client, wrong);
            check(srv, server, wrong);
            if (!nio) {
                check(ch, Map.of(UringChannelOption.SO_REUSEPORT, true, UringChannelOption.TCP_KEEPIDLE, 45,
                        UringChannelOption.TCP_KEEPINTVL, 7, UringChannelOption.TCP_KEEPCNT, 4,
                        UringChannelOption.TCP_USER_TIMEOUT, 30_000), wrong);
                check(srv, Map.of(UringChannelOption.SO_REUSEPORT, true), wrong);
            }
        } finally {
            ch.unsafe().closeForcibly();
            srv.unsafe().closeForcibly();
        }
        assertThat(wrong).isEmpty();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void check(Channel ch, Map<ChannelOption<?>, Object> options, List<String> wrong) {
        options.forEach((option, value) -> {
            boolean set = ch.config().setOption((ChannelOption) option, value);
            Object got = ch.config().getOption(option);
            if (!set || !value.equals(got)) {
                wrong.add(ch.getClass().getSimpleName() + " " + option + ": set " + value + " -> " + set
                        + ", got " + got);
            }
            if (!ch.config().getOptions().containsKey(option)) {
                wrong.add(ch.getClass().getSimpleName() + " " + option + " missing from getOptions()");
            }
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "ringline"})
    void setOptionOnAClosedChannelDoesNotTouchAnotherSocket(String transport) throws Exception {
        boolean nio = transport.equals("nio");
        EventLoopGroup group = oneLoopGroup(transport);
        try {
            Channel closed = nio ? new NioSocketChannel() : new UringSocketChannel();
            group.register(closed).sync();
            closed.close().sync();
            // A new socket now: Linux hands out the lowest free fd number, the one the closed channel had.
            Channel fresh = nio ? new NioSocketChannel() : new UringSocketChannel();
            try {
                assertThat(fresh.config().getOption(ChannelOption.SO_KEEPALIVE)).isFalse();
                try {
                    closed.config().setOption(ChannelOption.SO_KEEPALIVE, true);
                } catch (ChannelException expected) {
                    // NIO: ClosedChannelException, wrapped
                }
                assertThat(fresh.config().getOption(ChannelOption.SO_KEEPALIVE))
                        .as("SO_KEEPALIVE of a new, untouched channel after setting it on a closed one").isFalse();
                assertThatThrownBy(() -> closed.config().getOption(ChannelOption.SO_LINGER))
                        .as("getOption on a closed channel").isInstanceOf(ChannelException.class);
            } finally {
                fresh.unsafe().closeForcibly();
            }
        } finally {
            shutdown(group);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "ringline"})
    void invalidValuesAreRefused(String transport) {
        boolean nio = transport.equals("nio");
        Channel ch = nio ? new NioSocketChannel() : new UringSocketChannel();
        Channel srv = nio ? new NioServerSocketChannel() : new UringServerSocketChannel();
        List<String> accepted = new ArrayList<>();
        try {
            tryIt(ch, ChannelOption.SO_RCVBUF, -1, accepted);
            tryIt(ch, ChannelOption.SO_RCVBUF, 0, accepted);
            tryIt(ch, ChannelOption.SO_SNDBUF, -5, accepted);
            tryIt(ch, ChannelOption.IP_TOS, 256, accepted);
            tryIt(ch, ChannelOption.IP_TOS, -1, accepted);
            tryIt(srv, ChannelOption.SO_RCVBUF, -1, accepted);
            tryIt(srv, ChannelOption.SO_BACKLOG, -1, accepted);
            if (!nio) { // the kernel's ranges (tcp(7)), refused with the option named
                tryIt(ch, UringChannelOption.TCP_KEEPIDLE, 0, accepted);
                tryIt(ch, UringChannelOption.TCP_KEEPIDLE, 32768, accepted);
                tryIt(ch, UringChannelOption.TCP_KEEPINTVL, 0, accepted);
                tryIt(ch, UringChannelOption.TCP_KEEPCNT, 128, accepted);
                tryIt(ch, UringChannelOption.TCP_USER_TIMEOUT, -1, accepted);
                assertThatThrownBy(() -> ch.config().setOption(UringChannelOption.TCP_KEEPCNT, 0))
                        .hasMessage("TCP_KEEPCNT: 0 (expected 1..127)");
            }
        } finally {
            ch.unsafe().closeForcibly();
            srv.unsafe().closeForcibly();
        }
        assertThat(accepted).isEmpty();
    }

    private static void tryIt(Channel ch, ChannelOption<Integer> option, int value, List<String> accepted) {
        try {
            ch.config().setOption(option, value);
            accepted.add(ch.getClass().getSimpleName() + " " + option + "=" + value + " (reads back "
                    + ch.config().getOption(option) + ")");
        } catch (RuntimeException refused) {
            // refused
        }
    }
}
