package api

import "testing"

func TestHelperOptionsRoundTrip(t *testing.T) {
	for _, o := range []HelperOptions{
		{Verb: VerbCreate, ID: "abc", StateRoot: "/s", Bundle: "/b"},
		{Verb: VerbCreate, ID: "abc", StateRoot: "/s", Bundle: "/b", Detached: true, SeccompCache: "/r/seccomp-bpf"},
		{Verb: VerbCreate, ID: "abc", StateRoot: "/s", Bundle: "/b", StdinFd: 3, StdoutFd: 4, StderrFd: 5},
		{Verb: VerbCreate, ID: "abc", StateRoot: "/s", Bundle: "/b", StdoutFd: 7},
		{Verb: VerbCreate, ID: "abc", StateRoot: "/s", Bundle: "/b", ConsoleSocketFd: 3},
		{Verb: VerbKill, ID: "abc", StateRoot: "/s", Signal: 9, All: true},
		{Verb: VerbKill, ID: "abc", StateRoot: "/s", Signal: defaultSignal},
		{Verb: VerbDelete, ID: "abc", StateRoot: "/s"},
		{Verb: VerbDelete, ID: "abc", StateRoot: "/s", Force: true},
	} {
		args := o.Args()
		got, err := ParseHelperOptions(args[0], args[1:])
		if err != nil || got != o {
			t.Errorf("ParseHelperOptions(%q) = %+v, %v; want %+v", args, got, err, o)
		}
	}
}

func TestHelperOptionsRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		verb string
		args []string
	}{
		{"unknown verb", "start", []string{"--id", "a", "--state-root", "/s"}},
		{"no id", VerbDelete, []string{"--state-root", "/s"}},
		{"id with a slash", VerbDelete, []string{"--id", "a/b", "--state-root", "/s"}},
		{"id ..", VerbDelete, []string{"--id", "..", "--state-root", "/s"}},
		{"relative state root", VerbDelete, []string{"--id", "a", "--state-root", "s"}},
		{"create without a bundle", VerbCreate, []string{"--id", "a", "--state-root", "/s"}},
		{"relative bundle", VerbCreate, []string{"--id", "a", "--state-root", "/s", "--bundle", "b"}},
		{"relative seccomp cache", VerbCreate, []string{"--id", "a", "--state-root", "/s", "--bundle", "/b", "--seccomp-cache", "c"}},
		{"seccomp cache on delete", VerbDelete, []string{"--id", "a", "--state-root", "/s", "--seccomp-cache", "/c"}},
		{"stdout on the helper's own stdout", VerbCreate, []string{"--id", "a", "--state-root", "/s", "--bundle", "/b", "--stdout-fd", "1"}},
		{"negative descriptor", VerbCreate, []string{"--id", "a", "--state-root", "/s", "--bundle", "/b", "--stdin-fd", "-3"}},
		{"one descriptor twice", VerbCreate, []string{"--id", "a", "--state-root", "/s", "--bundle", "/b", "--stdout-fd", "4", "--stderr-fd", "4"}},
		{"console socket and stdio", VerbCreate, []string{"--id", "a", "--state-root", "/s", "--bundle", "/b", "--console-socket-fd", "3", "--stdin-fd", "4"}},
		{"descriptor on another verb", VerbDelete, []string{"--id", "a", "--state-root", "/s", "--stdout-fd", "4"}},
		{"signal 0", VerbKill, []string{"--id", "a", "--state-root", "/s", "--signal", "0"}},
		{"signal 65", VerbKill, []string{"--id", "a", "--state-root", "/s", "--signal", "65"}},
		{"another verb's flag", VerbKill, []string{"--id", "a", "--state-root", "/s", "--force"}},
		{"extra argument", VerbKill, []string{"--id", "a", "--state-root", "/s", "x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseHelperOptions(tc.verb, tc.args)
			if e := AsError(err); e == nil || e.Code != CodeInvalidArgument {
				t.Errorf("ParseHelperOptions(%s %q) = %v, want invalid_argument", tc.verb, tc.args, err)
			}
		})
	}
}
