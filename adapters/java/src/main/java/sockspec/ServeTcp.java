package sockspec;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Iterator;

/**
 * The TCP echo server, written the way java.nio servers are: one thread, one Selector, a
 * non-blocking ServerSocketChannel registered for OP_ACCEPT and every accepted SocketChannel
 * for OP_READ / OP_WRITE, each session with its own ByteBuffer of what it owes its client.
 *
 * Back-pressure: the buffer is bounded (OWED_LIMIT); while it is full, the session's OP_READ
 * interest is off, so its bytes stay in the kernel and TCP's flow control stops the client;
 * the other sessions are served by the same loop. End of stream (read → -1): the rest is
 * flushed, then shutdownOutput() (FIN) and close(), with nothing left unread (no RST). An
 * IOException (reset, broken pipe) closes that session only.
 *
 * Stopping: a volatile flag and selector.wakeup(); the thread closes every session, the
 * listener and the selector, and serve.stop joins it.
 *
 * The Unix-domain server (serve.unix, protocol 1.4) is this same code on
 * ServerSocketChannel.open(StandardProtocolFamily.UNIX) bound to a UnixDomainSocketAddress
 * (JEP 380). Closing that channel leaves its socket file: java.nio does not delete it, and
 * neither does the adapter.
 */
final class ServeTcp implements ServeOps.Server, Runnable {
    static final int OWED_LIMIT = 256 * 1024; // at most this much read and not yet echoed, per session
    static final long JOIN_MILLIS = 3_000; // within the suite's deadline for serve.stop

    /** One connection's state: what it owes its client, and whether the client has finished. */
    static final class Session {
        final ByteBuffer owed = ByteBuffer.allocate(OWED_LIMIT); // write mode: position = bytes owed
        boolean clientDone;
    }

    private final ServerSocketChannel listener;
    private final Selector selector;
    private final Thread thread;
    private volatile boolean stopping;
    private long accepted; // written by the server thread, read after join

    private ServeTcp(ServerSocketChannel listener, Selector selector) {
        this.listener = listener;
        this.selector = selector;
        this.thread = new Thread(this, "serve-tcp");
        this.thread.setDaemon(true);
    }

    /** family INET/INET6 with an InetSocketAddress, or UNIX with a UnixDomainSocketAddress. */
    static ServeTcp start(StandardProtocolFamily family, SocketAddress address, int backlog) throws IOException {
        ServerSocketChannel listener = ServerSocketChannel.open(family);
        Selector selector = null;
        try {
            listener.configureBlocking(false);
            listener.bind(address, backlog);
            selector = Selector.open();
            listener.register(selector, SelectionKey.OP_ACCEPT);
        } catch (IOException | RuntimeException e) {
            listener.close();
            if (selector != null) selector.close();
            throw e;
        }
        ServeTcp server = new ServeTcp(listener, selector);
        SocketAddress local = listener.getLocalAddress(); // socket() is INET only
        server.thread.setName(local instanceof InetSocketAddress
            ? "serve-tcp-" + ((InetSocketAddress) local).getPort() : "serve-unix " + local);
        server.thread.start();
        return server;
    }

    @Override
    public NetworkChannel channel() {
        return listener;
    }

    @Override
    public void run() {
        try {
            while (!stopping) {
                selector.select();
                if (stopping) break;
                Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                while (keys.hasNext()) {
                    SelectionKey key = keys.next();
                    keys.remove();
                    if (!key.isValid()) continue;
                    if (key.isAcceptable()) accept();
                    else serve(key);
                }
            }
        } catch (IOException | ClosedSelectorException e) {
            System.err.println("sockspec-adapter-java: serve tcp: " + e);
        } finally {
            closeEverything();
        }
    }

    private void accept() {
        while (true) {
            SocketChannel conn;
            try {
                conn = listener.accept();
            } catch (IOException e) {
                // e.g. out of descriptors: the listener stays, later connections are tried again
                System.err.println("sockspec-adapter-java: serve tcp: accept: " + e);
                return;
            }
            if (conn == null) return;
            accepted++;
            try {
                conn.configureBlocking(false);
                conn.register(selector, SelectionKey.OP_READ, new Session());
            } catch (IOException e) {
                Handles.closeQuietly(conn);
            }
        }
    }

    private void serve(SelectionKey key) {
        SocketChannel ch = (SocketChannel) key.channel();
        Session s = (Session) key.attachment();
        try {
            if (key.isReadable() && !s.clientDone && s.owed.hasRemaining()) {
                if (ch.read(s.owed) < 0) s.clientDone = true;
            }
            if (s.owed.position() > 0) { // echo what is owed, as much as the socket takes now
                s.owed.flip();
                ch.write(s.owed);
                s.owed.compact();
            }
            if (s.clientDone && s.owed.position() == 0) { // all echoed: FIN, then close
                ch.shutdownOutput();
                ch.close();
                return;
            }
            int ops = 0;
            if (!s.clientDone && s.owed.hasRemaining()) ops |= SelectionKey.OP_READ; // full: stop reading
            if (s.owed.position() > 0) ops |= SelectionKey.OP_WRITE;
            key.interestOps(ops);
        } catch (IOException e) {
            Handles.closeQuietly(ch); // this session only
        }
    }

    private void closeEverything() {
        try {
            for (SelectionKey key : selector.keys()) Handles.closeQuietly((NetworkChannel) key.channel());
        } catch (ClosedSelectorException e) {
            // already closed
        }
        Handles.closeQuietly(listener);
        try {
            selector.close(); // deregisters, which completes the channels' deferred closes
        } catch (IOException e) {
            // nothing to report
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
            System.err.println("sockspec-adapter-java: serve tcp: the server thread did not stop");
            Handles.closeQuietly(listener);
        }
        return accepted;
    }
}
