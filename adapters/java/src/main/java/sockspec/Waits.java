package sockspec;

import java.io.IOException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.Selector;

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
}
