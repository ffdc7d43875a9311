package task

import (
	"strings"
	"testing"
)

func TestCountListeners(t *testing.T) {
	table := `Num       RefCount Protocol Flags    Type St Inode Path
0000000000000000: 00000002 00000000 00010000 0001 01 100 /run/skiff/s/a.sock
0000000000000000: 00000002 00000000 00010000 0001 01 101 /run/skiff/s/b.sock
0000000000000000: 00000003 00000000 00000000 0001 03 102 /run/skiff/s/a.sock
0000000000000000: 00000002 00000000 00010000 0001 01 103 /run/other/s/c.sock
0000000000000000: 00000002 00000000 00010000 0001 01 104 /run/skiff/sx/d.sock
0000000000000000: 00000002 00000000 00000000 0002 01 105
`
	n, err := countListeners(strings.NewReader(table), "/run/skiff/s/")
	if err != nil || n != 2 {
		t.Errorf("countListeners = %d, %v; want the 2 listeners under /run/skiff/s", n, err)
	}
}
