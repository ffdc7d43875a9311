package memtrim

import (
	"strings"
	"testing"
)

const smaps = `00400000-02400000 r-xp 00000000 fd:01 123 /usr/bin/skiff
Rss:               40000 kB
Shared_Dirty:          0 kB
Private_Dirty:       100 kB
Anonymous:             0 kB
02400000-04b00000 r--p 02000000 fd:01 123 /usr/bin/skiff
Rss:               10000 kB
Private_Dirty:         4 kB
Anonymous:             4 kB
04b00000-04c00000 rw-p 04700000 fd:01 123 /usr/bin/skiff
Rss:                 500 kB
Private_Dirty:       400 kB
7f0000000000-7f0000100000 r-xp 00000000 fd:01 456 /usr/lib/libc.so.6
Rss:                1000 kB
Private_Dirty:         0 kB
7f0000200000-7f0000300000 rw-p 00000000 00:00 0
Rss:                 800 kB
Anonymous:           800 kB
`

func TestCleanMappings(t *testing.T) {
	got, err := cleanMappings(strings.NewReader(smaps), "/usr/bin/skiff")
	if err != nil {
		t.Fatal(err)
	}
	// Only the text (with pages of the page cache not yet written back):
	// the read-only data has a page copied on write (relocated),
	// the data is writable, libc is another file.
	if len(got) != 1 || got[0].start != 0x400000 || got[0].end != 0x2400000 || got[0].rss != 40000<<10 {
		t.Fatalf("%+v", got)
	}
}

func TestTrim(t *testing.T) {
	n, err := Trim()
	if err != nil {
		t.Fatal(err)
	}
	if n <= 0 {
		t.Errorf("dropped %d bytes of the test binary", n)
	}
	// The process goes on: the dropped code pages come back.
	if s := strings.Repeat("x", 3); s != "xxx" {
		t.Fatal(s)
	}
}
