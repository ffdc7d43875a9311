package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/skiffrt/skiff/internal/atomicfile"
)

// passingFile is the content of test/critest/passing.txt: a header of
// comment and blank lines, then one full spec name per line, sorted, with
// no duplicates. '#' lines are comments anywhere; only the header survives
// a rewrite.
type passingFile struct {
	header []string // the leading comment and blank lines, as written
	specs  []string // sorted
}

// readPassing reads the file at path.
func readPassing(path string) (passingFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return passingFile{}, err
	}
	defer f.Close()
	pf, err := parsePassing(f)
	if err != nil {
		return passingFile{}, fmt.Errorf("%s: %w", path, err)
	}
	return pf, nil
}

// parsePassing parses passing.txt. Leading and trailing spaces of a spec
// line are ignored. Errors name the line; a file out of order is
// an error so that diffs of the file stay small and readable.
func parsePassing(r io.Reader) (passingFile, error) {
	var pf passingFile
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	inHeader := true
	seen := map[string]int{}
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		spec := strings.TrimSpace(line)
		if spec == "" || strings.HasPrefix(spec, "#") {
			if inHeader {
				pf.header = append(pf.header, line)
			}
			continue
		}
		inHeader = false
		if prev, dup := seen[spec]; dup {
			return passingFile{}, fmt.Errorf("line %d: %q already listed on line %d", n, spec, prev)
		}
		if k := len(pf.specs); k > 0 && spec < pf.specs[k-1] {
			return passingFile{}, fmt.Errorf("line %d: %q is out of order: keep the file sorted (or rewrite it with -update)", n, spec)
		}
		seen[spec] = n
		pf.specs = append(pf.specs, spec)
	}
	if err := sc.Err(); err != nil {
		return passingFile{}, err
	}
	// Blank lines that end the header belong to the layout, not to it.
	for len(pf.header) > 0 && strings.TrimSpace(pf.header[len(pf.header)-1]) == "" {
		pf.header = pf.header[:len(pf.header)-1]
	}
	return pf, nil
}

// format returns the file's text: the header, a blank line, the specs.
func (pf passingFile) format() []byte {
	var b bytes.Buffer
	for _, h := range pf.header {
		b.WriteString(h + "\n")
	}
	if len(pf.header) > 0 {
		b.WriteString("\n")
	}
	for _, s := range pf.specs {
		b.WriteString(s + "\n")
	}
	return b.Bytes()
}

// writePassing replaces the file at path atomically.
func writePassing(path string, pf passingFile) error {
	return atomicfile.Write(path, pf.format(), 0o644)
}
