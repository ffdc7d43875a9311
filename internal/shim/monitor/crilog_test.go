package monitor

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chunked returns a reader that hands out data in reads of the given
// sizes, then EOF.
type chunked struct {
	data  []byte
	sizes []int
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := len(c.data)
	if len(c.sizes) > 0 {
		n, c.sizes = min(c.sizes[0], n), c.sizes[1:]
	}
	n = copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

type line struct {
	partial bool
	text    string
}

func parse(t *testing.T, data []byte, stream string) []line {
	t.Helper()
	var out []line
	for _, l := range strings.SplitAfter(string(data), "\n") {
		if l == "" {
			continue
		}
		f := strings.SplitN(strings.TrimSuffix(l, "\n"), " ", 4)
		if len(f) != 4 || f[1] != stream || (f[2] != "P" && f[2] != "F") {
			t.Fatalf("bad line %q", l)
		}
		if _, err := time.Parse(time.RFC3339Nano, f[0]); err != nil {
			t.Fatalf("bad timestamp in %q", l)
		}
		out = append(out, line{f[2] == "P", f[3]})
	}
	return out
}

func TestCopyLines(t *testing.T) {
	a := func(n int) string { return strings.Repeat("a", n) }
	for _, tc := range []struct {
		name  string
		in    string
		sizes []int
		want  []line
	}{
		{"lines", "one\ntwo\n", nil, []line{{false, "one"}, {false, "two"}}},
		{"empty line", "\nx\n", nil, []line{{false, ""}, {false, "x"}}},
		{"unterminated at EOF", "one\ntw", nil, []line{{false, "one"}, {false, "tw"}}},
		{"split across reads", "hel" + "lo\nwor" + "ld\n", []int{3, 5, 5}, []line{{false, "hello"}, {false, "world"}}},
		{"exactly the max", a(maxLogLine) + "\n", nil, []line{{false, a(maxLogLine)}}},
		{"max in small reads", a(maxLogLine) + "\n", []int{1000, 1000, 20000}, []line{{false, a(maxLogLine)}}},
		{"one over", a(maxLogLine+1) + "\n", nil, []line{{true, a(maxLogLine)}, {false, "a"}}},
		{"long line", a(40000) + "\nb\n", []int{7000, 7000, 7000, 7000, 7000, 7000, 7000}, []line{{true, a(maxLogLine)}, {true, a(maxLogLine)}, {false, a(40000 - 2*maxLogLine)}, {false, "b"}}},
		{"long unterminated", a(20000), nil, []line{{true, a(maxLogLine)}, {false, a(20000 - maxLogLine)}}},
		{"nothing", "", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "log")
			l, err := openLogFile(path)
			if err != nil {
				t.Fatal(err)
			}
			copyLines(l, "stdout", &chunked{data: []byte(tc.in), sizes: tc.sizes})
			l.close()
			data, _ := os.ReadFile(path)
			got := parse(t, data, "stdout")
			if len(got) != len(tc.want) {
				t.Fatalf("got %d lines, want %d: %.200v", len(got), len(tc.want), got)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("line %d = (P=%v, %d bytes), want (P=%v, %d bytes)", i, got[i].partial, len(got[i].text), tc.want[i].partial, len(tc.want[i].text))
				}
			}
		})
	}
}

func TestLogReopen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "log")
	l, err := openLogFile(path)
	if err != nil {
		t.Fatal(err)
	}
	l.writeLine("stdout", false, []byte("before"))
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := l.reopen(); err != nil {
		t.Fatal(err)
	}
	l.writeLine("stderr", false, []byte("after"))
	l.close()
	if err := l.reopen(); err == nil {
		t.Error("reopen after close succeeded")
	}
	old, _ := os.ReadFile(path + ".1")
	cur, _ := os.ReadFile(path)
	if !bytes.HasSuffix(old, []byte(" stdout F before\n")) || !bytes.HasSuffix(cur, []byte(" stderr F after\n")) {
		t.Errorf("rotated %q, current %q", old, cur)
	}
}

func TestLogDiscard(t *testing.T) {
	l, err := openLogFile("")
	if err != nil {
		t.Fatal(err)
	}
	copyLines(l, "stdout", strings.NewReader("dropped\n"))
	if err := l.reopen(); err != nil {
		t.Error(err)
	}
	l.close()
}
