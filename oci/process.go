package oci

import (
	"path"
	"strings"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// defaultPath is PATH when neither the image nor the CRI config sets one.
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// processArgs merges the CRI command and args with the image's Entrypoint
// and Cmd the way docker and kubelet define it: a command replaces the
// entrypoint and drops the image's Cmd; args replace Cmd. An Entrypoint of
// [""] is no entrypoint.
func processArgs(command, args []string, img ImageConfig) ([]string, error) {
	if len(command) == 0 {
		command = img.Entrypoint
		if len(command) == 1 && command[0] == "" {
			command = nil
		}
		if len(args) == 0 {
			args = img.Cmd
		}
	}
	argv := append(append([]string{}, command...), args...)
	if len(argv) == 0 {
		return nil, invalid(containerScope, "command", "no command: neither the config nor the image gives one")
	}
	return argv, nil
}

// processEnv merges environments in order, a later value of a variable
// replacing an earlier one in its first place. PATH is added when no layer
// sets it.
func processEnv(layers ...[]string) []string {
	var env []string
	at := map[string]int{}
	set := func(kv string) {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := at[k]; ok {
			env[i] = kv
			return
		}
		at[k] = len(env)
		env = append(env, kv)
	}
	set(defaultPath)
	for _, l := range layers {
		for _, kv := range l {
			set(kv)
		}
	}
	return env
}

// criEnv turns the CRI config's envs into KEY=value strings.
func criEnv(envs []*runtime.KeyValue) ([]string, error) {
	out := make([]string, 0, len(envs))
	for i, kv := range envs {
		k := kv.GetKey()
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return nil, invalid(containerScope, "envs", "entry %d: invalid name %q", i, k)
		}
		v := string(kv.GetValue()) // bytes: a value need not be UTF-8
		if strings.ContainsRune(v, 0) {
			return nil, invalid(containerScope, "envs", "entry %d (%s): the value contains a NUL byte", i, k)
		}
		out = append(out, k+"="+v)
	}
	return out, nil
}

// processCwd is the CRI working dir, else the image's, else "/".
func processCwd(criDir string, img ImageConfig) (string, error) {
	dir, field := criDir, "working_dir"
	if dir == "" {
		dir, field = img.WorkingDir, "image working dir"
	}
	if dir == "" {
		return "/", nil
	}
	if !path.IsAbs(dir) {
		return "", invalid(containerScope, field, "%q is not an absolute path", dir)
	}
	return path.Clean(dir), nil
}
