package io.ringline.echo;

import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.ringline.uring.UringServerSocketChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TransportSelectionTest {

    @Test
    void nioIsAlwaysAvailableAndSelectedWhenRequested() throws Exception {
        TransportSelection selection = TransportSelection.select(Optional.of(Transport.NIO));
        assertThat(selection.transport()).isEqualTo(Transport.NIO);
        assertThat(selection.describe()).isEqualTo("Transport: nio (requested)");
    }

    @ParameterizedTest
    @EnumSource(names = {"EPOLL", "NETTY_IOURING"})
    void nativePeersAreSelectedWhenAvailableAndFailFastOtherwise(Transport transport) throws Exception {
        Optional<Transport> requested = Optional.of(transport);
        Throwable cause = transport.unavailabilityCause();
        if (cause == null) {
            assertThat(TransportSelection.select(requested).transport()).isEqualTo(transport);
        } else {
            assertThatThrownBy(() -> TransportSelection.select(requested))
                    .isInstanceOf(TransportSelection.UnavailableException.class)
                    .hasMessageContaining("The " + transport.cliName() + " transport is unavailable")
                    .hasCause(cause);
        }
    }

    @Test
    void eachTransportBringsItsOwnServerChannel() {
        assertThat(Transport.RINGLINE.serverChannelClass()).isEqualTo(UringServerSocketChannel.class);
        assertThat(Transport.EPOLL.serverChannelClass()).isEqualTo(EpollServerSocketChannel.class);
        assertThat(Transport.NETTY_IOURING.serverChannelClass()).isEqualTo(IoUringServerSocketChannel.class);
        assertThat(Transport.NIO.serverChannelClass()).isEqualTo(NioServerSocketChannel.class);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void namesRoundTrip(Transport transport) {
        assertThat(Transport.forName(transport.cliName())).isEqualTo(transport);
        assertThat(Transport.forName(transport.cliName().toUpperCase())).isEqualTo(transport);
    }

    @Test
    void unknownNameIsRejected() {
        assertThatThrownBy(() -> Transport.forName("kqueue")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void causeDescriptionNamesTheRootCause() {
        Throwable cause = new IllegalStateException("io_uring setup failed",
                new IOException("io_uring_setup: Operation not permitted"));
        assertThat(TransportSelection.describe(cause)).isEqualTo(
                "java.lang.IllegalStateException: io_uring setup failed; "
                        + "caused by java.io.IOException: io_uring_setup: Operation not permitted");
        assertThat(TransportSelection.describe(new IOException("EPERM"))).isEqualTo("java.io.IOException: EPERM");
        assertThat(TransportSelection.describe(null)).isEqualTo("no cause given");
    }
}
