package io.ringline.uring;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.ringline.uring.linux.Errno;
import io.ringline.uring.ring.SyscallFilter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static io.ringline.uring.TransportTestSupport.LOOPBACK;
import static io.ringline.uring.TransportTestSupport.loopback;
import static io.ringline.uring.TransportTestSupport.shutdown;
import static io.ringline.uring.TransportTestSupport.uringGroup;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * io_uring_enter(2) may take none of the SQEs it is given (EAGAIN: the kernel could not allocate requests; EBUSY).
 * They stay queued, and what they point at must stay as it is until a later submission takes them.
 */
class UnsubmittedSendsTest {
    /** More gathering sends than the loop's scratch area (256 KiB, about 1 KiB of iovecs and msghdr each) holds. */
    private static final int CONNECTIONS = 300;
    /** io_uring_enter's fourth argument, its flags: 0 for a plain submission, without waiting. */
    private static final int ENTER_FLAGS_ARGUMENT = 3;

    private final EventLoopGroup group = uringGroup(1, new UringIoHandlerConfig().setRegisteredRingFd(false));

    @AfterEach
    void shutdownGroup() {
        shutdown(group);
    }

    /**
     * Gathering sends put their iovecs and msghdr in the loop's scratch area; when it is full the loop submits and
     * starts it over. A submission the kernel refused left the earlier sends queued, pointing at scratch memory the
     * next sends overwrote: a connection then sent another connection's data. Every peer must receive its own bytes
     * or nothing.
     */
    @Test
    void aRefusedSubmissionNeverSendsOneConnectionsDataOnAnother() throws Exception {
        Map<Integer, Integer> receivedByPort = new ConcurrentHashMap<>();
        List<Channel> channels = new ArrayList<>();
        try (ServerSocket server = new ServerSocket(0, CONNECTIONS + 10, LOOPBACK)) {
            InetSocketAddress address = loopback(server.getLocalPort());
            List<Socket> peers = new ArrayList<>();
            Bootstrap client = new Bootstrap().group(group).channel(UringSocketChannel.class)
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public boolean isSharable() {
                            return true;
                        }
                    });
            try {
                List<Socket> accepted = java.util.Collections.synchronizedList(new ArrayList<>());
                Thread acceptor = Thread.ofPlatform().start(() -> {
                    try {
                        while (accepted.size() < CONNECTIONS) {
                            accepted.add(server.accept());
                        }
                    } catch (IOException e) {
                        // the server closed
                    }
                });
                for (int i = 0; i < CONNECTIONS; i++) {
                    channels.add(client.connect(address).sync().channel());
                }
                acceptor.join(10_000);
                peers.addAll(accepted);
                assertThat(peers).hasSize(CONNECTIONS);
                EventLoop loop = group.next();
                // From now on every plain submission of the loop thread is refused; the loop's waits still submit.
                loop.submit(() -> SyscallFilter.refuseWhenArgument(SyscallFilter.IO_URING_ENTER, ENTER_FLAGS_ARGUMENT,
                        0, Errno.EAGAIN)).sync();
                loop.submit(() -> {
                    for (int i = 0; i < CONNECTIONS; i++) {
                        Channel channel = channels.get(i);
                        ByteBuf message = Unpooled.compositeBuffer().addComponents(true,
                                Unpooled.directBuffer(4).writeInt(i), Unpooled.directBuffer(4).writeInt(i));
                        channel.writeAndFlush(message);
                    }
                }).sync();
                Thread.sleep(500); // the sends that went out have arrived by now
                for (Socket peer : peers) {
                    peer.setSoTimeout(100);
                    DataInputStream in = new DataInputStream(peer.getInputStream());
                    try {
                        int first = in.readInt();
                        int second = in.readInt();
                        assertThat(second).isEqualTo(first);
                        receivedByPort.put(peer.getPort(), first);
                    } catch (SocketTimeoutException | EOFException e) {
                        // nothing sent: acceptable, the send failed
                    } catch (IOException e) {
                        // reset: the send failed and the channel closed
                    }
                }
            } finally {
                for (Socket peer : peers) {
                    peer.close();
                }
            }
            assertThat(receivedByPort).as("connections that received something").isNotEmpty();
            for (int i = 0; i < channels.size(); i++) {
                int port = ((InetSocketAddress) channels.get(i).localAddress()).getPort();
                Integer received = receivedByPort.get(port);
                if (received != null) {
                    assertThat(received).as("what connection %d received", i).isEqualTo(i);
                }
            }
        } finally {
            for (Channel channel : channels) {
                channel.close().await(5, TimeUnit.SECONDS);
            }
        }
    }
}
