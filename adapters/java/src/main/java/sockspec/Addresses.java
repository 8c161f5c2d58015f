package sockspec;

import static sockspec.Errnos.errorOf;
import static sockspec.OpError.unsupported;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SocketChannel;
import java.util.regex.Pattern;

/** Numeric host parsing, inet_ntop-style formatting, and the addr.local / addr.peer operations. */
final class Addresses {
    private Addresses() {
    }

    static final Pattern IPV4 = Pattern.compile("(0|[1-9][0-9]{0,2})(\\.(0|[1-9][0-9]{0,2})){3}");
    static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    /** A numeric host for the family (inet_pton rules); names are never resolved. */
    static InetAddress parseHost(StandardProtocolFamily family, String host) throws OpError {
        try {
            if (family == StandardProtocolFamily.INET) {
                if (IPV4.matcher(host).matches()) {
                    String[] parts = host.split("\\.");
                    byte[] b = new byte[4];
                    boolean ok = true;
                    for (int i = 0; i < 4; i++) {
                        int v = Integer.parseInt(parts[i]);
                        ok &= v <= 255;
                        b[i] = (byte) v;
                    }
                    if (ok) return InetAddress.getByAddress(b);
                }
            } else if (IPV6.matcher(host).matches()) {
                // a literal with ':' is parsed, never looked up; Java turns ::ffff:a.b.c.d into
                // an Inet4Address, which an INET6 channel maps back when it connects or binds
                return InetAddress.getByName(host);
            }
        } catch (UnknownHostException | NumberFormatException e) {
            // fall through
        }
        throw new OpError("EINVAL", "not a numeric address for this family: '" + host + "'");
    }

    static InetSocketAddress socketAddress(StandardProtocolFamily family, String host, long port) throws OpError {
        InetAddress address = parseHost(family, host);
        if (port < 0 || port > 65535) throw new OpError("EINVAL", "port out of range: " + port);
        return new InetSocketAddress(address, (int) port);
    }

    /** The protocol's {host, port} object, or a Unix address (1.4): {path} or {unnamed: true}. */
    static JsonObject address(SocketAddress sa) {
        if (sa instanceof UnixDomainSocketAddress) {
            String path = ((UnixDomainSocketAddress) sa).getPath().toString();
            JsonObject o = new JsonObject();
            if (path.isEmpty()) o.addProperty("unnamed", true); // java.nio's unnamed address
            else o.addProperty("path", path);
            return o;
        }
        InetSocketAddress isa = (InetSocketAddress) sa;
        JsonObject o = new JsonObject();
        o.addProperty("host", ntop(isa.getAddress()));
        o.addProperty("port", isa.getPort());
        return o;
    }

    /** inet_ntop(3) text (glibc's rules): Inet6Address.getHostAddress() does not compress. */
    static String ntop(InetAddress address) {
        if (address instanceof Inet4Address) return address.getHostAddress();
        byte[] b = address.getAddress();
        int[] w = new int[8];
        for (int i = 0; i < 8; i++) w[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        int bestBase = -1, bestLen = 0, curBase = -1, curLen = 0;
        for (int i = 0; i < 8; i++) {
            if (w[i] == 0) {
                if (curBase < 0) { curBase = i; curLen = 1; } else curLen++;
                if (curLen > bestLen) { bestBase = curBase; bestLen = curLen; }
            } else {
                curBase = -1;
                curLen = 0;
            }
        }
        if (bestLen < 2) bestBase = -1;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
                if (i == bestBase) sb.append(':');
                continue;
            }
            if (i != 0) sb.append(':');
            if (i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && w[5] == 0xffff))) {
                sb.append(b[12] & 0xff).append('.').append(b[13] & 0xff).append('.')
                  .append(b[14] & 0xff).append('.').append(b[15] & 0xff);
                break;
            }
            sb.append(Integer.toHexString(w[i]));
        }
        if (bestBase >= 0 && bestBase + bestLen == 8) sb.append(':');
        if (address instanceof Inet6Address && ((Inet6Address) address).getScopeId() != 0)
            sb.append('%').append(((Inet6Address) address).getScopeId());
        return sb.toString();
    }

    /**
     * A connect started with pending: true whose connection has been made is finished the
     * java.nio way (finishConnect, which does not wait on a non-blocking channel) before its
     * addresses are read, as a program does once the Selector reports OP_CONNECT: the JDK
     * learns the local address only then (SocketChannelImpl.endConnect). A connect that failed
     * makes finishConnect throw and close the channel, as it does for any java.nio program;
     * the query then answers for the closed channel.
     */
    static void finishIfConnected(Handles.Sock s) {
        if (!(s.channel instanceof SocketChannel)) return;
        SocketChannel ch = (SocketChannel) s.channel;
        if (ch.isBlocking() || !ch.isConnectionPending()) return;
        try {
            ch.finishConnect();
        } catch (IOException e) {
            // the connect's own failure: the channel is closed, and the query says so
        }
    }

    /** getsockname(): an unbound channel reports null, which is the family's any address, port 0. */
    static JsonObject localAddress(Handles.Sock s) throws OpError {
        finishIfConnected(s);
        SocketAddress local;
        try {
            local = s.channel.getLocalAddress();
        } catch (IOException e) {
            throw errorOf(e, "getLocalAddress");
        }
        if (local == null && s.family == StandardProtocolFamily.UNIX) {
            JsonObject o = new JsonObject();
            o.addProperty("unnamed", true);
            JsonArray emulated = new JsonArray(); // the adapter's answer for java.nio's null
            emulated.add("unnamed");
            o.add("emulated", emulated);
            return o;
        }
        if (local == null) {
            JsonObject o = new JsonObject();
            o.addProperty("host", s.family == StandardProtocolFamily.INET ? "0.0.0.0" : "::");
            o.addProperty("port", 0);
            JsonArray emulated = new JsonArray(); // the adapter's answer for java.nio's null
            emulated.add("host");
            emulated.add("port");
            o.add("emulated", emulated);
            return o;
        }
        return address(local);
    }

    /** The {local, peer} result of a connect or accept. */
    static JsonObject endpoints(NetworkChannel channel, SocketAddress remote) throws IOException {
        JsonObject o = new JsonObject();
        o.add("local", address(channel.getLocalAddress()));
        o.add("peer", address(remote));
        return o;
    }

    // ---- operations --------------------------------------------------------------------

    static JsonObject opLocal(Handles handles, Args args) throws OpError {
        return localAddress(handles.get(args));
    }

    static JsonObject opPeer(Handles handles, Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        finishIfConnected(s);
        SocketAddress remote;
        try {
            if (s.channel instanceof SocketChannel) remote = ((SocketChannel) s.channel).getRemoteAddress();
            else if (s.channel instanceof DatagramChannel) remote = ((DatagramChannel) s.channel).getRemoteAddress();
            else throw unsupported("addr.peer: java.nio's ServerSocketChannel has no remote address");
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "getRemoteAddress");
        }
        if (remote == null) throw OpError.supplied("ENOTCONN", "getRemoteAddress: not connected (null)");
        return address(remote);
    }
}
