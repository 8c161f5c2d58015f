package sockspec;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import java.io.IOException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * Waiting for a non-blocking channel: an operation is attempted first, and only if it
 * would block does it wait here, on a Selector, against a monotonic deadline.
 */
final class Waits {
    private Waits() {
    }

    static long deadline(double timeout) {
        return System.nanoTime() + (long) Math.min(timeout * 1e9, 1e17);
    }

    /**
     * Wait until the channel is ready for ops or the deadline passes; false on timeout.
     * The Selector lives for this wait only: a channel that stays registered is closed
     * differently by the JDK (its close is deferred to the selector, and SO_LINGER is
     * switched off, sun.nio.ch.SocketChannelImpl.implCloseBlockingMode).
     */
    static boolean await(SelectableChannel channel, int ops, long deadline) throws IOException {
        try (Selector selector = Selector.open()) {
            channel.register(selector, ops);
            while (true) {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) return false;
                long ms = Math.max(1, (remaining + 999_999) / 1_000_000);
                if (selector.select(ms) > 0) return true;
            }
        }
    }

    /** timeout 0 never waits (EAGAIN); otherwise the deadline ran out (ETIMEDOUT). */
    static OpError wouldBlock(double timeout, String context) {
        // java.nio says "nothing now" with a count of 0 or a null, not with an errno
        return timeout == 0 ? OpError.supplied("EAGAIN", context + ": would block (nothing done, no errno)")
                            : new OpError("ETIMEDOUT", context + ": timed out after " + timeout + " s");
    }

    /**
     * wait (1.5): java.nio's readiness is the Selector. "read" is OP_READ (OP_ACCEPT on a
     * ServerSocketChannel), "write" is OP_WRITE (OP_CONNECT while a connect is pending; a
     * ServerSocketChannel has no write readiness). The JDK folds POLLERR and POLLHUP into the
     * interest set (sun.nio.ch.SocketChannelImpl.translateReadyOps): "error" and "hangup" are
     * never told apart, and POLLRDHUP is never asked (no wait.rdhangup).
     */
    static JsonObject opWait(Handles handles, Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        double timeout = args.timeout();
        JsonElement ev = args.value("events");
        if (ev == null || !ev.isJsonArray()) throw OpError.bad("argument 'events' must be a list");
        boolean read = false, write = false;
        for (JsonElement e : ev.getAsJsonArray()) {
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString())
                throw OpError.bad("argument 'events' holds strings");
            switch (e.getAsString()) {
                case "read": read = true; break;
                case "write": write = true; break;
                case "rdhangup": throw OpError.unsupported("wait: java.nio's Selector has no POLLRDHUP");
                default: throw OpError.bad("unknown event '" + e.getAsString() + "'");
            }
        }
        if (s.server != null) throw OpError.unsupported("wait: this handle is an echo server (serve.start)");
        SelectableChannel ch = (SelectableChannel) s.channel;
        int ops = 0;
        if (ch instanceof ServerSocketChannel) {
            if (read) ops |= SelectionKey.OP_ACCEPT;
        } else {
            if (read) ops |= SelectionKey.OP_READ;
            if (write) ops |= (ch instanceof SocketChannel && ((SocketChannel) ch).isConnectionPending())
                ? SelectionKey.OP_CONNECT : SelectionKey.OP_WRITE;
        }
        JsonArray held = new JsonArray();
        JsonObject o = new JsonObject();
        o.add("events", held);
        long deadline = deadline(timeout);
        int ready = 0;
        try (Selector selector = Selector.open()) {
            if (!ch.isOpen()) throw new java.nio.channels.ClosedChannelException();
            if (ops == 0) { // nothing java.nio can wait for on this channel: the timeout passes
                long ms = (long) Math.min(timeout * 1000, 1e12);
                if (ms > 0) selector.select(ms);
                return o;
            }
            SelectionKey key = ch.register(selector, ops);
            if (timeout == 0) {
                if (selector.selectNow() > 0) ready = key.readyOps();
            } else {
                while (true) {
                    long remaining = deadline - System.nanoTime();
                    if (remaining <= 0) break;
                    long ms = Math.max(1, (remaining + 999_999) / 1_000_000);
                    if (selector.select(ms) > 0) {
                        ready = key.readyOps();
                        break;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            throw Errnos.errorOf(e, "select");
        }
        if ((ready & (SelectionKey.OP_READ | SelectionKey.OP_ACCEPT)) != 0) held.add("read");
        if ((ready & (SelectionKey.OP_WRITE | SelectionKey.OP_CONNECT)) != 0) held.add("write");
        return o;
    }
}
