package sockspec;

import static sockspec.Errnos.errorOf;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import io.netty.channel.Channel;
import io.netty.channel.unix.DomainSocketAddress;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
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
        if (sa == null) {
            JsonObject o = new JsonObject();
            o.addProperty("unnamed", true);
            return o;
        }
        if (sa instanceof DomainSocketAddress) {
            String path = ((DomainSocketAddress) sa).path();
            JsonObject o = new JsonObject();
            if (path.isEmpty()) o.addProperty("unnamed", true);
            else if (path.charAt(0) == 0) o.addProperty("abstract", path.substring(1));
            else o.addProperty("path", path);
            return o;
        }
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

    /** getsockname(): Channel.localAddress() of an unbound channel is null: the family's any address, port 0. */
    static JsonObject localAddress(Handles.Sock s) throws OpError {
        SocketAddress local;
        try {
            local = s.channel.localAddress();
        } catch (RuntimeException e) {
            throw errorOf(e, "localAddress");
        }
        if (local == null && s.family.equals("unix")) {
            JsonObject o = new JsonObject();
            o.addProperty("unnamed", true);
            JsonArray emulated = new JsonArray(); // the adapter's answer for Netty's null
            emulated.add("unnamed");
            o.add("emulated", emulated);
            return o;
        }
        if (local == null) {
            JsonObject o = new JsonObject();
            o.addProperty("host", s.family.equals("ipv4") ? "0.0.0.0" : "::");
            o.addProperty("port", 0);
            JsonArray emulated = new JsonArray(); // the adapter's answer for Netty's null
            emulated.add("host");
            emulated.add("port");
            o.add("emulated", emulated);
            return o;
        }
        return address(local);
    }

    /** The {local, peer} result of a connect or accept. */
    static JsonObject endpoints(Channel channel) {
        JsonObject o = new JsonObject();
        o.add("local", address(channel.localAddress()));
        o.add("peer", address(channel.remoteAddress()));
        return o;
    }

    // ---- operations --------------------------------------------------------------------

    static JsonObject opLocal(Handles handles, Args args) throws OpError {
        return localAddress(handles.get(args));
    }

    /** Channel.remoteAddress(): null when not connected (a listener, an unconnected channel): ENOTCONN, supplied. */
    static JsonObject opPeer(Handles handles, Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        SocketAddress remote;
        try {
            remote = s.channel.remoteAddress();
        } catch (RuntimeException e) {
            throw errorOf(e, "remoteAddress");
        }
        if (remote == null) throw OpError.supplied("ENOTCONN", "remoteAddress: not connected (null)");
        return address(remote);
    }
}
