package log

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name, level, format string
		wantErr             string
	}{
		{"text info", "info", "text", ""},
		{"json debug", "debug", "json", ""},
		{"bad level", "verbose", "text", `unknown log level "verbose"`},
		{"bad format", "info", "xml", `unknown log format "xml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(&bytes.Buffer{}, tt.level, tt.format)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("New: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("New: err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestContextCarriesAttrs(t *testing.T) {
	var buf bytes.Buffer
	l, err := New(&buf, "info", "json")
	if err != nil {
		t.Fatal(err)
	}
	ctx := WithAttrs(WithLogger(context.Background(), l), KeyContainerID, "abc")
	G(ctx).Info("started")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("log line %q: %v", buf.String(), err)
	}
	if line[KeyContainerID] != "abc" || line["msg"] != "started" {
		t.Errorf("log line = %v", line)
	}
}

func TestSpan(t *testing.T) {
	for _, tt := range []struct {
		level string
		want  bool
	}{{"debug", true}, {"info", false}} {
		t.Run(tt.level, func(t *testing.T) {
			var buf bytes.Buffer
			l, err := New(&buf, tt.level, "text")
			if err != nil {
				t.Fatal(err)
			}
			ctx := WithAttrs(WithLogger(context.Background(), l), KeySandboxID, "s1")
			Span(ctx, "cni.add")()
			got := buf.String()
			has := strings.Contains(got, " msg=span ") && strings.Contains(got, " span=cni.add ms=") && strings.Contains(got, "sandbox_id=s1")
			if has != tt.want {
				t.Errorf("at %s, logged %q; want a span line: %v", tt.level, got, tt.want)
			}
		})
	}
}
