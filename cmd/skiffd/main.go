// Command skiffd is skiff's node daemon: it serves the CRI v1
// RuntimeService and ImageService on a unix socket.
//
//	skiffd [flags]          run the daemon
//	skiffd config [flags]   print the effective configuration as TOML
//	skiffd version          print the version
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/skiffrt/skiff/internal/config"
	"github.com/skiffrt/skiff/internal/version"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command in args and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && (args[0] == "config" || args[0] == "version") {
		cmd, args = args[0], args[1:]
	}
	if cmd == "version" {
		fmt.Fprintf(stdout, "%s %s (CRI %s)\n", version.Name, version.Version, version.CRIVersion)
		return 0
	}

	fs := flag.NewFlagSet("skiffd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: skiffd [config|version] [flags]\n\nflags:\n")
		fs.PrintDefaults()
	}
	flags := config.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "skiffd: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	cfg, err := flags.Load()
	if err == nil {
		err = cfg.Resolve()
	}
	if err != nil {
		fmt.Fprintf(stderr, "skiffd: %v\n", err)
		return 1
	}

	if cmd == "config" {
		if err := cfg.WriteTOML(stdout); err != nil {
			fmt.Fprintf(stderr, "skiffd: %v\n", err)
			return 1
		}
		return 0
	}
	if err := serve(cfg, stderr); err != nil {
		fmt.Fprintf(stderr, "skiffd: %v\n", err)
		return 1
	}
	return 0
}
