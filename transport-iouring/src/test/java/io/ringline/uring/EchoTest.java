package io.ringline.uring;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class EchoTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 512, 16 * 1024, 16 * 1024 + 1, 100_000, 4 * 1024 * 1024})
    void echoesPayloadsByteForByte(int size) throws Exception {
        try (EchoServerFixture server = EchoServerFixture.ringline()) {
            assertEchoes(server, size);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 512, 100_000, 4 * 1024 * 1024})
    void echoesWithoutTheBufferPool(int size) throws Exception {
        try (EchoServerFixture server = EchoServerFixture.ringline(new UringIoHandlerConfig().setBufferPool(false), 1,
                EchoServerFixture.EchoHandler.INSTANCE)) {
            assertEchoes(server, size);
        }
    }

    @ParameterizedTest(name = "registeredBuffers {0}")
    @ValueSource(booleans = {false, true})
    void echoesManyRoundTripsFromThePool(boolean registered) throws Exception {
        try (EchoServerFixture server = EchoServerFixture.ringline(
                new UringIoHandlerConfig().setRegisteredBuffers(registered), 1, EchoServerFixture.EchoHandler.INSTANCE);
             Socket socket = new Socket(server.address().getAddress(), server.address().getPort())) {
            socket.setTcpNoDelay(true);
            OutputStream out = socket.getOutputStream();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            byte[] request = new byte[512];
            byte[] response = new byte[512];
            for (int i = 0; i < 2000; i++) {
                request[i % 512] = (byte) i;
                out.write(request);
                in.readFully(response);
                assertThat(response).isEqualTo(request);
            }
            BufferPoolTest.assertSentFromPoolSlotsOnly(server.metrics(), registered);
        }
    }

    static void assertEchoes(EchoServerFixture server, int size) throws Exception {
        byte[] payload = new byte[size];
        new Random(size).nextBytes(payload);
        try (Socket socket = new Socket(server.address().getAddress(), server.address().getPort())) {
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    out.write(payload);
                    out.flush();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            byte[] echoed = new DataInputStream(in).readNBytes(size);
            writer.join();
            assertThat(echoed).hasSize(size).isEqualTo(payload);
        }
    }
}
