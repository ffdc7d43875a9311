package netns

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
)

// TestDialLoopback: the connection is made inside the namespace: a port
// listening there answers, the same port on the host does not.
func TestDialLoopback(t *testing.T) {
	requireRoot(t)
	ns := newNS(t)
	var ln net.Listener
	if err := ns.Do(func() (err error) {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for c, err := ln.Accept(); err == nil; c, err = ln.Accept() {
			io.WriteString(c, "inside")
			c.Close()
		}
	}()
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	c, err := DialLoopback(context.Background(), ns.Path(), port)
	if err != nil {
		t.Fatalf("DialLoopback: %v", err)
	}
	b, _ := io.ReadAll(c)
	c.Close()
	if string(b) != "inside" {
		t.Errorf("read %q", b)
	}
	if c, err := DialLoopback(context.Background(), "", port); err == nil {
		c.Close()
		t.Skip("the host happens to listen on the same port")
	} else if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("host dial: %v, want connection refused", err)
	}
}

func TestUDPBound(t *testing.T) {
	requireRoot(t)
	ns := newNS(t)
	var pc net.PacketConn
	if err := ns.Do(func() (err error) {
		pc, err = net.ListenPacket("udp", "127.0.0.1:0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	port := uint16(pc.LocalAddr().(*net.UDPAddr).Port)
	if !UDPBound(ns.Path(), port) {
		t.Errorf("port %d bound in the namespace: not seen", port)
	}
	if UDPBound(ns.Path(), port+1) { // a fresh namespace holds our socket only
		t.Errorf("port %d, never bound, seen as bound", port+1)
	}
	host, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	hostPort := uint16(host.LocalAddr().(*net.UDPAddr).Port)
	if !UDPBound("", hostPort) {
		t.Errorf("host port %d: not seen", hostPort)
	}
	if UDPBound(ns.Path(), hostPort) && hostPort != port {
		t.Errorf("host port %d seen in the namespace", hostPort)
	}
}
