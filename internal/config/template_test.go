package config

import (
	"bytes"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// template is the commented configuration `make install` places as
// /etc/skiff/skiff.toml.
const template = "../../contrib/skiff.toml"

// settingLine is a commented-out setting of the template, "#key = value";
// prose comments start with "# ".
var settingLine = regexp.MustCompile(`(?m)^#([a-z_]+ = .*)$`)

// TestTemplateShowsEveryDefault keeps the installed configuration in step
// with the code: it must load as it is, show every key, and show each at
// its built-in default.
func TestTemplateShowsEveryDefault(t *testing.T) {
	raw, err := os.ReadFile(template)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"as-is.toml":       string(raw),
		"uncommented.toml": settingLine.ReplaceAllString(string(raw), "$1"),
	})
	for _, name := range []string{"as-is.toml", "uncommented.toml"} {
		c, err := Load(Sources{File: dir + "/" + name, FileRequired: true})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(c.Registry.Insecure) == 0 {
			c.Registry.Insecure = nil // "insecure = []" is the default, none
		}
		if got, want := encode(t, c), encode(t, Default()); got != want {
			t.Errorf("%s does not load to the defaults:\n%s\nwant:\n%s", name, got, want)
		}
	}

	var shown, all map[string]any
	if _, err := toml.Decode(settingLine.ReplaceAllString(string(raw), "$1"), &shown); err != nil {
		t.Fatal(err)
	}
	if _, err := toml.Decode(encode(t, Default()), &all); err != nil {
		t.Fatal(err)
	}
	// Loading proved every shown key known; now every key must be shown.
	got := keys("", shown)
	for _, k := range keys("", all) {
		if !slices.Contains(got, k) {
			t.Errorf("%s does not show key %q", template, k)
		}
	}
}

func encode(t *testing.T, c Config) string {
	t.Helper()
	var b bytes.Buffer
	if err := c.WriteTOML(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// keys lists the dotted keys of a decoded TOML document; an empty table
// counts as a key.
func keys(prefix string, m map[string]any) []string {
	var out []string
	for k, v := range m {
		k = prefix + k
		if sub, ok := v.(map[string]any); ok && len(sub) > 0 {
			out = append(out, keys(k+".", sub)...)
			continue
		}
		out = append(out, k)
	}
	return out
}

// TestTemplateCrictlEndpoint checks that the installed crictl.yaml talks
// to the socket skiffd listens on by default.
func TestTemplateCrictlEndpoint(t *testing.T) {
	raw, err := os.ReadFile("../../contrib/crictl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := "unix://" + Default().Listen
	for _, key := range []string{"runtime-endpoint", "image-endpoint"} {
		if !strings.Contains(string(raw), "\n"+key+": "+want+"\n") {
			t.Errorf("crictl.yaml: %s is not %s:\n%s", key, want, raw)
		}
	}
}
