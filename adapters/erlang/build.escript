#!/usr/bin/env escript
%% Build: compile every .erl here and pack the modules into one escript, {out}
%% (run with `escript {out}`). Nothing is written into the source tree.
main([Out]) ->
    %% jiffy is a run-time dependency (JSON): a build without it would only fail later
    case code:which(jiffy) of
        non_existing ->
            io:format(standard_error, "jiffy is not installed (no jiffy.beam in the code path)~n", []),
            halt(1);
        _ -> ok
    end,
    Files = filelib:wildcard("*.erl"),
    Beams = [compile(F) || F <- Files],
    ok = escript:create(Out, [shebang, {comment, "sockspec erlang adapter"},
                              {emu_args, "-escript main ss_main +sbwt none"},
                              {archive, Beams, []}]),
    ok = file:change_mode(Out, 8#755);
main(_) ->
    io:format(standard_error, "usage: build.escript OUT~n", []),
    halt(2).

compile(File) ->
    case compile:file(File, [binary, return_errors, return_warnings, warnings_as_errors]) of
        {ok, Module, Binary, _Warnings} ->
            {atom_to_list(Module) ++ ".beam", Binary};
        {error, Errors, Warnings} ->
            io:format(standard_error, "~s: errors ~p~nwarnings ~p~n", [File, Errors, Warnings]),
            halt(1)
    end.
