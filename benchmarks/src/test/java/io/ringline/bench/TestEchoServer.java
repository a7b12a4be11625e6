package io.ringline.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A small blocking echo server on loopback for tests, able to misbehave on purpose. */
final class TestEchoServer implements AutoCloseable {
    enum Behaviour {
        /** Echo every byte unchanged. */
        ECHO,
        /** Echo, but flip the first byte of every chunk it reads. */
        CORRUPT,
        /** Read and discard everything, never answer. */
        STALL
    }

    private final ServerSocket serverSocket;
    private final Behaviour behaviour;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    TestEchoServer(Behaviour behaviour) throws IOException {
        this.behaviour = behaviour;
        this.serverSocket = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::acceptLoop, "test-echo-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), serverSocket.getLocalPort());
    }

    String hostAndPort() {
        return Loopback.format(address());
    }

    private void acceptLoop() {
        try {
            while (true) {
                Socket socket = serverSocket.accept();
                sockets.add(socket);
                Thread worker = new Thread(() -> serve(socket), "test-echo-conn");
                worker.setDaemon(true);
                worker.start();
            }
        } catch (IOException closed) {
            // close() ends the loop.
        }
    }

    private void serve(Socket socket) {
        byte[] buffer = new byte[64 * 1024];
        try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
            int read;
            while ((read = in.read(buffer)) > 0) {
                switch (behaviour) {
                    case ECHO -> out.write(buffer, 0, read);
                    case CORRUPT -> {
                        buffer[0] ^= 0x5A;
                        out.write(buffer, 0, read);
                    }
                    case STALL -> { }
                }
            }
        } catch (SocketException closed) {
            // Peer or close() ended the connection.
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    @Override
    public void close() throws IOException {
        serverSocket.close();
        for (Socket socket : sockets) {
            socket.close();
        }
    }
}
