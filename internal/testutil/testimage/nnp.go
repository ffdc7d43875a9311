package testimage

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
)

// nnpCode is the x86-64 machine code of the nonewprivs test program: it
// prints "Effective uid: <geteuid()>\n" in one write and exits 0, as
// kubernetes' test/images/nonewprivs does. It is position-independent and
// uses only the stack below rsp. Source (GNU as, Intel syntax):
//
//	_start: mov eax, 107          ; geteuid
//	        syscall
//	        lea rdi, [rsp-1]      ; build the text downwards from rsp
//	        mov byte ptr [rdi], 10
//	        mov ecx, 10
//	1:      xor edx, edx          ; one decimal digit per turn
//	        div ecx
//	        add dl, '0'
//	        dec rdi
//	        mov [rdi], dl
//	        test eax, eax
//	        jnz 1b
//	        sub rdi, 15           ; prepend the prefix
//	        mov r8, rdi
//	        lea rsi, [rip+prefix]
//	        mov ecx, 15
//	        rep movsb
//	        mov rsi, r8           ; write(1, r8, rsp-r8)
//	        mov rdx, rsp
//	        sub rdx, r8
//	        mov edi, 1
//	        mov eax, 1
//	        syscall
//	        mov eax, 60           ; exit(0)
//	        xor edi, edi
//	        syscall
//	prefix: .ascii "Effective uid: "
var nnpCode = []byte{
	0xb8, 0x6b, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x48, 0x8d, 0x7c, 0x24, 0xff,
	0xc6, 0x07, 0x0a, 0xb9, 0x0a, 0x00, 0x00, 0x00, 0x31, 0xd2, 0xf7, 0xf1,
	0x80, 0xc2, 0x30, 0x48, 0xff, 0xcf, 0x88, 0x17, 0x85, 0xc0, 0x75, 0xf0,
	0x48, 0x83, 0xef, 0x0f, 0x49, 0x89, 0xf8, 0x48, 0x8d, 0x35, 0x25, 0x00,
	0x00, 0x00, 0xb9, 0x0f, 0x00, 0x00, 0x00, 0xf3, 0xa4, 0x4c, 0x89, 0xc6,
	0x48, 0x89, 0xe2, 0x4c, 0x29, 0xc2, 0xbf, 0x01, 0x00, 0x00, 0x00, 0xb8,
	0x01, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xb8, 0x3c, 0x00, 0x00, 0x00, 0x31,
	0xff, 0x0f, 0x05,
	'E', 'f', 'f', 'e', 'c', 't', 'i', 'v', 'e', ' ', 'u', 'i', 'd', ':', ' ',
}

// nnpBinary returns a static x86-64 ELF executable running nnpCode: an
// ELF header, one read+execute PT_LOAD segment mapping the whole file at
// 0x400000, and the code right after the headers.
func nnpBinary() []byte {
	const (
		base    = 0x400000
		ehSize  = 64
		phSize  = 56
		codeOff = ehSize + phSize
	)
	size := uint64(codeOff + len(nnpCode))
	var buf bytes.Buffer
	ident := [elf.EI_NIDENT]byte{0x7f, 'E', 'L', 'F', byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)}
	hdr := elf.Header64{
		Ident:     ident,
		Type:      uint16(elf.ET_EXEC),
		Machine:   uint16(elf.EM_X86_64),
		Version:   uint32(elf.EV_CURRENT),
		Entry:     base + codeOff,
		Phoff:     ehSize,
		Ehsize:    ehSize,
		Phentsize: phSize,
		Phnum:     1,
	}
	prog := elf.Prog64{
		Type:   uint32(elf.PT_LOAD),
		Flags:  uint32(elf.PF_R | elf.PF_X),
		Vaddr:  base,
		Paddr:  base,
		Filesz: size,
		Memsz:  size,
		Align:  0x1000,
	}
	// Writes to a bytes.Buffer cannot fail.
	_ = binary.Write(&buf, binary.LittleEndian, hdr)
	_ = binary.Write(&buf, binary.LittleEndian, prog)
	buf.Write(nnpCode)
	return buf.Bytes()
}
