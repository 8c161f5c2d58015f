package sockspec;

import static sockspec.Errnos.errorOf;

import java.io.IOException;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SelectableChannel;

/**
 * Option "nonblock" (protocol 1.7): the channel's blocking mode, java.nio's own switch and
 * getter, {@code SelectableChannel.configureBlocking(boolean)} and {@code isBlocking()}
 * (the descriptor's O_NONBLOCK underneath, sun.nio.ch.IOUtil.configureBlocking).
 *
 * A channel is opened blocking (java.nio's default, and the mode of a channel
 * ServerSocketChannel.accept answers) and the adapter leaves it so between requests
 * ({@link #programDefault} when its handle is given out), so "nonblock" reads what a java.nio
 * program would see. WORKAROUND (README.md): the adapter's operations attempt once and wait on
 * a Selector against their timeout (Adapter's header), which a blocking channel cannot do (a
 * blocking java.nio read takes no timeout, a Selector refuses a blocking channel with
 * IllegalBlockingModeException); so each operation on a blocking channel runs with it
 * switched to non-blocking and back ({@link #around}).
 */
final class Blocking {
    private Blocking() {
    }

    static SelectableChannel selectable(NetworkChannel channel) throws OpError {
        if (channel instanceof SelectableChannel) return (SelectableChannel) channel;
        throw OpError.unsupported("option 'nonblock': " + channel.getClass().getSimpleName() + " is not a SelectableChannel");
    }

    /** A channel as its program finds it: blocking (the creating operation worked non-blocking). */
    static void programDefault(NetworkChannel channel) {
        try {
            if (channel instanceof SelectableChannel && channel.isOpen()) ((SelectableChannel) channel).configureBlocking(true);
        } catch (IOException | RuntimeException ignored) {
            // closed meanwhile: its next operation says so
        }
    }

    static void set(NetworkChannel channel, boolean nonblock) throws OpError {
        try {
            selectable(channel).configureBlocking(!nonblock);
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "configureBlocking(" + !nonblock + ")");
        }
    }

    static boolean isNonBlocking(NetworkChannel channel) throws OpError {
        return !selectable(channel).isBlocking();
    }

    interface Op<T> {
        T run() throws OpError;
    }

    /** Runs op with channel non-blocking; a channel that was blocking is made blocking again after. */
    static <T> T around(NetworkChannel channel, Op<T> op) throws OpError {
        if (!(channel instanceof SelectableChannel) || !((SelectableChannel) channel).isBlocking()) return op.run();
        SelectableChannel ch = (SelectableChannel) channel;
        try {
            ch.configureBlocking(false);
        } catch (IOException | RuntimeException e) {
            return op.run(); // closed: the operation answers that itself
        }
        try {
            return op.run();
        } finally {
            try {
                if (ch.isOpen()) ch.configureBlocking(true);
            } catch (IOException | RuntimeException ignored) {
                // closed meanwhile
            }
        }
    }
}
