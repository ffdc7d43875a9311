package api

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestStreamFrames(t *testing.T) {
	var buf bytes.Buffer
	frames := []struct {
		kind    StreamKind
		payload []byte
	}{
		{StreamStdin, []byte("hello")},
		{StreamCloseStdin, nil},
		{StreamResize, EncodeSize(TerminalSize{Width: 80, Height: 24})},
		{StreamStdout, bytes.Repeat([]byte("x"), MaxStreamPayload)},
	}
	for _, f := range frames {
		if err := WriteStreamFrame(&buf, f.kind, f.payload); err != nil {
			t.Fatal(err)
		}
	}
	rbuf := make([]byte, MaxStreamPayload)
	for _, f := range frames {
		kind, p, err := ReadStreamFrame(&buf, rbuf)
		if err != nil || kind != f.kind || !bytes.Equal(p, f.payload) {
			t.Fatalf("read %d %q %v; want %d %q", kind, p, err, f.kind, f.payload)
		}
	}
	if _, _, err := ReadStreamFrame(&buf, rbuf); !errors.Is(err, io.EOF) {
		t.Errorf("read past the end: %v", err)
	}
}

func TestStreamFrameErrors(t *testing.T) {
	if err := WriteStreamFrame(io.Discard, StreamStdout, make([]byte, MaxStreamPayload+1)); err == nil {
		t.Error("oversized payload written")
	}
	rbuf := make([]byte, MaxStreamPayload)
	huge := []byte{byte(StreamStdout), 0xff, 0xff, 0xff, 0xff}
	if _, _, err := ReadStreamFrame(bytes.NewReader(huge), rbuf); err == nil {
		t.Error("oversized frame read")
	}
	short := []byte{byte(StreamStdout), 0, 0, 0, 9, 'a'}
	if _, _, err := ReadStreamFrame(bytes.NewReader(short), rbuf); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short frame: %v", err)
	}
}

func TestTerminalSize(t *testing.T) {
	in := TerminalSize{Width: 300, Height: 70}
	if out, err := DecodeSize(EncodeSize(in)); err != nil || out != in {
		t.Errorf("got %+v, %v; want %+v", out, err, in)
	}
	if _, err := DecodeSize([]byte{1, 2, 3}); err == nil {
		t.Error("3-byte size decoded")
	}
}
