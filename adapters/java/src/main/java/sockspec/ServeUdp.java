package sockspec;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;

/**
 * The UDP echo server: a non-blocking DatagramChannel on a Selector of its own thread;
 * receive() each datagram whole (the buffer is larger than any UDP payload) and send() it
 * back to its sender. When the socket has no room (send → 0), the reply waits and reading
 * stops (OP_WRITE instead of OP_READ), so replies keep their order. A zero-length datagram
 * is received and sent back like any other (send on an unconnected channel sends it, and
 * answers 0, so 0 is taken as sent for an empty reply).
 *
 * Stopping: a volatile flag and selector.wakeup(); the thread closes the channel and the
 * selector, and serve.stop joins it.
 */
final class ServeUdp implements ServeOps.Server, Runnable {
    static final int DATAGRAM_BUFFER = 65536;
    static final long JOIN_MILLIS = 3_000; // within the suite's deadline for serve.stop

    private final DatagramChannel channel;
    private final Selector selector;
    private final Thread thread;
    private final ByteBuffer buffer = ByteBuffer.allocate(DATAGRAM_BUFFER);
    private SocketAddress pendingTo; // a reply that did not fit yet (buffer holds it, read mode)
    private volatile boolean stopping;

    private ServeUdp(DatagramChannel channel, Selector selector) {
        this.channel = channel;
        this.selector = selector;
        this.thread = new Thread(this, "serve-udp");
        this.thread.setDaemon(true);
    }

    static ServeUdp start(StandardProtocolFamily family, InetSocketAddress address) throws IOException {
        DatagramChannel channel = DatagramChannel.open(family);
        Selector selector = null;
        try {
            channel.configureBlocking(false);
            channel.bind(address);
            selector = Selector.open();
            channel.register(selector, SelectionKey.OP_READ);
        } catch (IOException | RuntimeException e) {
            channel.close();
            if (selector != null) selector.close();
            throw e;
        }
        ServeUdp server = new ServeUdp(channel, selector);
        server.thread.setName("serve-udp-" + channel.socket().getLocalPort());
        server.thread.start();
        return server;
    }

    @Override
    public NetworkChannel channel() {
        return channel;
    }

    @Override
    public void run() {
        try {
            SelectionKey key = channel.keyFor(selector);
            while (!stopping) {
                selector.select();
                if (stopping) break;
                selector.selectedKeys().clear();
                echo();
                key.interestOps(pendingTo == null ? SelectionKey.OP_READ : SelectionKey.OP_WRITE);
            }
        } catch (IOException | ClosedSelectorException e) {
            System.err.println("sockspec-adapter-java: serve udp: " + e);
        } finally {
            Handles.closeQuietly(channel);
            try {
                selector.close();
            } catch (IOException e) {
                // nothing to report
            }
        }
    }

    /** Sends what is pending, then receives and echoes until nothing is left or no room. */
    private void echo() {
        while (!stopping) {
            if (pendingTo != null) {
                boolean empty = !buffer.hasRemaining();
                try {
                    if (channel.send(buffer, pendingTo) == 0 && !empty) return; // no room: wait for OP_WRITE
                } catch (IOException e) {
                    // the sender cannot be reached (or the datagram is refused): drop this reply
                    System.err.println("sockspec-adapter-java: serve udp: send to " + pendingTo + ": " + e);
                }
                pendingTo = null;
            }
            buffer.clear();
            SocketAddress sender;
            try {
                sender = channel.receive(buffer);
            } catch (IOException e) {
                // e.g. an ICMP error queued on the socket: the server goes on at the next select
                System.err.println("sockspec-adapter-java: serve udp: receive: " + e);
                return;
            }
            if (sender == null) return; // nothing more now
            buffer.flip();
            pendingTo = sender;
        }
    }

    @Override
    public long stop() {
        stopping = true;
        selector.wakeup();
        try {
            thread.join(JOIN_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            System.err.println("sockspec-adapter-java: serve udp: the server thread did not stop");
            Handles.closeQuietly(channel);
        }
        return -1; // datagrams have no sessions
    }
}
