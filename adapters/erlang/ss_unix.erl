%% Unix-domain sockets (protocol 1.4) with gen_tcp and gen_udp's `local` family
%% (OTP >= 21 on Linux): {ifaddr, {local, Name}} binds, {local, Name} addresses a peer.
%% A pathname is the name as bytes, an abstract name starts with a NUL byte, and an empty
%% name binds with an empty address (the kernel autobinds). gen_tcp has no SOCK_SEQPACKET,
%% no socketpair, no SCM_RIGHTS, SCM_CREDENTIALS or SO_PEERCRED: those are not declared.
-module(ss_unix).
-export([listen/1, accept/1, connect/1, bind/1, sendto/1, recvfrom/1, unlink/1, address/2]).

kind(Args) ->
    case ss_args:get(Args, <<"kind">>, str) of
        <<"stream">> -> stream;
        <<"dgram">> -> dgram;
        <<"seqpacket">> -> ss_err:unsupported("gen_tcp/gen_udp have no SOCK_SEQPACKET");
        Other -> ss_err:bad(["unknown Unix socket kind ", Other])
    end.

%% {local, Name} | unnamed
address(Address, MayAutobind) when is_map(Address) ->
    case Address of
        #{<<"path">> := <<>>} -> ss_err:fail(<<"EINVAL">>, "an empty path names no socket");
        #{<<"path">> := Path} when is_binary(Path) -> {local, Path};
        #{<<"path">> := _} -> ss_err:bad("address.path must be a string");
        #{<<"abstract">> := Name} when is_binary(Name) -> {local, <<0, Name/binary>>};
        #{<<"abstract">> := _} -> ss_err:bad("address.abstract must be a string");
        #{<<"unnamed">> := true} -> unnamed;
        #{<<"autobind">> := true} when MayAutobind -> {local, <<>>};
        #{<<"autobind">> := true} -> ss_err:fail(<<"EINVAL">>, "autobind only binds a socket");
        _ -> ss_err:bad("a Unix address has path, abstract, unnamed or autobind")
    end;
address(_, _) -> ss_err:bad("a Unix address is an object").

bind_opts(unnamed) -> [];
bind_opts(Local) -> [{ifaddr, Local}].

listen(Args) ->
    Kind = kind(Args),
    Local = address(ss_args:get(Args, <<"address">>, dict), true),
    Backlog = ss_args:get(Args, <<"backlog">>, int, 128),
    Kind =:= stream orelse
        ss_err:supplied(<<"EOPNOTSUPP">>, "gen_tcp listens on stream sockets only (listen(2) on a datagram socket: EOPNOTSUPP)"),
    case gen_tcp:listen(0, [binary, local, {backlog, Backlog} | bind_opts(Local)]) of
        {ok, L} ->
            H = ss_handles:add(#{type => listener, sock => L, fam => local}),
            #{<<"handle">> => H, <<"local">> => ss_addr:sockname(L)};
        {error, Reason} -> ss_err:throw_reason(Reason, "gen_tcp:listen")
    end.

accept(Args) ->
    {_, #{sock := L}} = ss_handles:socket(Args),
    ss_tcp:accept_handle(L, local, ss_args:timeout(Args)).

connect(Args) ->
    Kind = kind(Args),
    Peer = case address(ss_args:get(Args, <<"address">>, dict), false) of
               unnamed -> ss_err:fail(<<"EINVAL">>, "cannot connect to an unnamed socket");
               P -> P
           end,
    Bind = case ss_args:get(Args, <<"bind">>, dict, none) of
               none -> [];
               B -> bind_opts(address(B, true))
           end,
    T = ss_args:timeout(Args),
    case Kind of
        stream ->
            case gen_tcp:connect(Peer, 0, [binary, local | Bind], T) of
                {ok, S} -> ss_tcp:add_stream(S, local);
                {error, timeout} when T =:= 0 ->
                    ss_err:supplied(<<"EAGAIN">>, "gen_tcp:connect: timeout 0 (inet gave up and closed the socket)");
                {error, Reason} -> ss_err:throw_reason(Reason, "gen_tcp:connect")
            end;
        dgram ->
            S = open_dgram(Bind),
            case gen_udp:connect(S, Peer, 0) of
                ok ->
                    H = ss_handles:add(#{type => dgram, sock => S, fam => local}),
                    #{<<"handle">> => H, <<"local">> => ss_addr:sockname(S), <<"peer">> => ss_addr:peername(S)};
                {error, Reason} ->
                    gen_udp:close(S),
                    ss_handles:flush(S),
                    ss_err:throw_reason(Reason, "gen_udp:connect")
            end
    end.

open_dgram(Bind) ->
    case gen_udp:open(0, [binary, local | Bind]) of
        {ok, S} -> S;
        {error, Reason} -> ss_err:throw_reason(Reason, "gen_udp:open")
    end.

bind(Args) ->
    Kind = kind(Args),
    Local = address(ss_args:get(Args, <<"address">>, dict), true),
    Kind =:= dgram orelse ss_err:unsupported("gen_tcp has no bound, unconnected stream socket (only listen and connect)"),
    S = open_dgram(bind_opts(Local)),
    H = ss_handles:add(#{type => dgram, sock => S, fam => local}),
    #{<<"handle">> => H, <<"local">> => ss_addr:sockname(S)}.

sendto(Args) ->
    {_, E} = ss_handles:socket(Args),
    Data = ss_args:data(Args),
    T = ss_args:timeout(Args),
    case ss_args:get(Args, <<"fds">>, list, []) of
        [] -> ok;
        _ -> ss_err:unsupported("gen_tcp/gen_udp cannot pass descriptors (no SCM_RIGHTS)")
    end,
    Peer = case ss_args:get(Args, <<"address">>, dict, none) of
               none -> none;
               A ->
                   case address(A, false) of
                       unnamed -> ss_err:fail(<<"EINVAL">>, "cannot send to an unnamed socket");
                       P -> P
                   end
           end,
    case {E, Peer} of
        {#{type := dgram, sock := S}, none} ->
            ss_udp:send_result(ss_udp:send_waiting(fun() -> gen_udp:send(S, Data) end, T), Data);
        {#{type := dgram, sock := S}, _} ->
            ss_udp:send_result(ss_udp:send_waiting(fun() -> gen_udp:send(S, Peer, 0, Data) end, T), Data);
        {#{sock := S}, none} -> ss_tcp:stream_send(S, Data, T);
        {#{}, _} -> ss_err:supplied(<<"EISCONN">>, "gen_tcp:send takes no address")
    end.

recvfrom(Args) ->
    {H, E} = ss_handles:socket(Args),
    Max = ss_args:max(Args),
    T = ss_args:timeout(Args),
    case ss_args:get(Args, <<"maxfds">>, int, 0) of
        0 -> ok;
        N when N < 0 -> ss_err:bad("maxfds must be >= 0");
        _ -> ss_err:unsupported("gen_tcp/gen_udp cannot receive descriptors (no SCM_RIGHTS)")
    end,
    Extra = #{<<"fds">> => [], <<"ctrunc">> => false},
    case E of
        #{type := dgram, sock := S} ->
            Got = case T of
                      0 -> ss_udp:recv_now(S);
                      _ -> ss_udp:receive_udp(S, T)
                  end,
            case Got of
                {ok, {From, Data}} ->
                    maps:merge(ss_udp:dgram_result(Data, Max), Extra#{<<"peer">> => ss_addr:format(From)});
                {error, timeout} when T =:= 0 ->
                    ss_err:supplied(<<"EAGAIN">>, "nothing received (inet's reason: timeout)");
                {error, Reason} -> ss_err:throw_reason(Reason, "gen_udp recv")
            end;
        #{sock := S} ->
            Data = ss_tcp:stream_recv(H, E, Max, T),
            Peer = case {Data, inet:peername(S)} of
                       {<<>>, _} -> #{<<"unnamed">> => true};
                       {_, {ok, Address}} -> ss_addr:format(Address);
                       _ -> #{<<"unnamed">> => true}
                   end,
            Extra#{<<"data">> => base64:encode(Data), <<"peer">> => Peer, <<"truncated">> => false}
    end.

unlink(Args) ->
    case address(ss_args:get(Args, <<"address">>, dict), false) of
        {local, <<0, _/binary>>} -> ss_err:fail(<<"EINVAL">>, "an abstract name has no file");
        {local, Path} ->
            case file:delete(Path) of
                ok -> #{};
                {error, Reason} -> ss_err:throw_reason(Reason, "file:delete")
            end;
        _ -> ss_err:fail(<<"EINVAL">>, "an unnamed socket has no file")
    end.
