%% Multicast (protocol 1.7): udp.join, udp.leave, and the inet options multicast_loop,
%% multicast_ttl, multicast_if (ss_opts uses option/3, key/1 and value/2 below).
%%
%% inet's own options, set with inet:setopts and read with inet:getopts:
%% {add_membership, {Group, Interface}} and {drop_membership, {Group, Interface}}, where
%% Interface is the interface's IPv4 address (any: {0,0,0,0}) for an IPv4 group and its index
%% (any: 0) for an IPv6 group (OTP 25's ip_membership() / ipv6 membership types);
%% {multicast_loop, Bool}, {multicast_ttl, Int}, {multicast_if, Address | Index}.
%% What inet then does with them is the library's (README.md, "Protocol 1.7 and 1.8").
-module(ss_mcast).
-export([join/1, leave/1, option/3, key/1, value/3]).

join(Args) -> membership(Args, add_membership).
leave(Args) -> membership(Args, drop_membership).

membership(Args, Which) ->
    {_, #{sock := S, fam := Fam} = Entry} = ss_handles:socket(Args),
    maps:get(type, Entry) =:= dgram andalso Fam =/= local
        orelse ss_err:supplied(<<"EOPNOTSUPP">>, "not a datagram socket of inet or inet6"),
    Group = ss_args:ip(ss_args:get(Args, <<"group">>, str), Fam),  % EINVAL, as every host (§2.1)
    Interface = interface(maps:get(<<"interface">>, Args, null), Fam),
    case inet:setopts(S, [{Which, {Group, Interface}}]) of
        ok -> #{};
        {error, Reason} -> ss_err:throw_reason(Reason, ["inet:setopts ", atom_to_list(Which)])
    end.

%% An interface object (or null) as inet takes it: IPv4 the address, IPv6 the index.
interface(null, inet) -> {0, 0, 0, 0};
interface(null, inet6) -> 0;
interface(Object, inet) when is_map(Object) ->
    case maps:get(<<"address">>, Object, null) of
        null -> {0, 0, 0, 0};
        Address when is_binary(Address) -> ss_args:ip(Address, inet);
        _ -> ss_err:bad("interface.address must be a string")
    end;
interface(Object, inet6) when is_map(Object) ->
    case maps:get(<<"index">>, Object, 0) of
        Index when is_integer(Index), Index >= 0 -> Index;
        _ -> ss_err:bad("interface.index must be an integer >= 0")
    end;
interface(_, local) -> ss_err:fail(<<"EAFNOSUPPORT">>, "a Unix socket has no multicast");
interface(_, _) -> ss_err:bad("an interface is an object {name, index, address} or null").

option(<<"multicast_loop">>, V, _) when is_boolean(V) -> {multicast_loop, V};
option(<<"multicast_ttl">>, V, _) when is_integer(V) -> {multicast_ttl, V};
option(<<"multicast_if">>, V, Fam) when V =:= null; is_map(V) -> {multicast_if, interface(V, Fam)};
option(<<"multicast_", _/binary>> = N, _, _) when N =:= <<"multicast_loop">>; N =:= <<"multicast_ttl">>;
                                                  N =:= <<"multicast_if">> ->
    ss_err:bad(["option ", N, " has a value of the wrong type"]);
option(Name, _, _) -> ss_err:unsupported(["unknown option ", Name]).

key(<<"multicast_loop">>) -> multicast_loop;
key(<<"multicast_ttl">>) -> multicast_ttl;
key(<<"multicast_if">>) -> multicast_if;
key(Name) -> ss_err:unsupported(["unknown option ", Name]).

%% multicast_if is read back as inet reports it: an address tuple (IPv4), an index (IPv6).
value(<<"multicast_if">>, {multicast_if, IP}, _) when is_tuple(IP) -> list_to_binary(inet:ntoa(IP));
value(_, {_, V}, _) -> V.
