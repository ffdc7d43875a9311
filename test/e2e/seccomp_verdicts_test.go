//go:build e2e

package e2e

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/net/bpf"
)

// sameVerdicts reports how two seccomp programs of the same config
// differ in what they decide, or "" when they agree on every input
// tried: each system call number up to 1100 (and x32's) of the
// architectures a profile names, an unknown architecture, and argument
// values that RuntimeDefault's rules test. Two loads of one config by
// libcontainer need not be the same bytes: it emits the per-architecture
// sections of its -ENOSYS stub in Go map order.
func sameVerdicts(a, b []byte) string {
	vmA, err := seccompVM(a)
	if err != nil {
		return err.Error()
	}
	vmB, err := seccompVM(b)
	if err != nil {
		return err.Error()
	}
	const x32 = 0x40000000
	archs := []uint32{0xc000003e, 0x40000003, 0xc00000b7, 0x40000028, 0x12345678} // x86_64, i386, aarch64, arm, unknown
	args := []uint64{0, 8, 0x20000, 0x20008, 0xffffffff, 0x7e020000, 0x10000000, 1 << 63, ^uint64(0)}
	for _, arch := range archs {
		for _, base := range []uint32{0, x32} {
			for nr := base; nr <= base+1100; nr++ {
				for _, arg := range args {
					in := seccompData(nr, arch, arg)
					ra, errA := vmA.Run(in)
					rb, errB := vmB.Run(in)
					if ra != rb || (errA == nil) != (errB == nil) {
						return fmt.Sprintf("arch %#x nr %d arg %#x: %#x (%v) against %#x (%v)", arch, nr, arg, ra, errA, rb, errB)
					}
				}
			}
		}
	}
	return ""
}

// seccompVM loads a struct sock_filter array (native byte order) into
// x/net/bpf's interpreter.
func seccompVM(prog []byte) (*bpf.VM, error) {
	raw := make([]bpf.RawInstruction, len(prog)/8)
	for i := range raw {
		r := prog[i*8:]
		raw[i] = bpf.RawInstruction{Op: binary.NativeEndian.Uint16(r), Jt: r[2], Jf: r[3], K: binary.NativeEndian.Uint32(r[4:])}
	}
	ins, ok := bpf.Disassemble(raw)
	if !ok {
		return nil, fmt.Errorf("a seccomp program with instructions x/net/bpf does not know")
	}
	return bpf.NewVM(ins)
}

// seccompData is struct seccomp_data for the interpreter, which loads
// 32-bit words big-endian where the kernel loads them in native order:
// each word is written big-endian, 64-bit fields as their native halves.
func seccompData(nr, arch uint32, arg uint64) []byte {
	words := []uint32{nr, arch, 0, 0} // ip: 0
	for range 6 {
		lo, hi := uint32(arg), uint32(arg>>32)
		if binary.NativeEndian.Uint16([]byte{0, 1}) == 1 { // big-endian host
			lo, hi = hi, lo
		}
		words = append(words, lo, hi)
	}
	b := make([]byte, 0, len(words)*4)
	for _, w := range words {
		b = binary.BigEndian.AppendUint32(b, w)
	}
	return b
}
