package store

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

func openStore(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func sandbox(id, name string) Sandbox {
	return Sandbox{
		ID: id, Name: name, State: SandboxReady, CreatedAt: time.Unix(100, 5).UTC(),
		Config: Proto[*runtime.PodSandboxConfig]{&runtime.PodSandboxConfig{
			Metadata: &runtime.PodSandboxMetadata{Name: name, Namespace: "ns", Uid: "u1"},
			Labels:   map[string]string{"app": "web"},
		}},
	}
}

func TestTablePersistsAndReloads(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	if err := s.Sandboxes.Add(sandbox("aaaa1111", "pod-a")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sandboxes.Update("aaaa1111", func(sb Sandbox) (Sandbox, error) {
		sb.State = SandboxNotReady
		return sb, nil
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = openStore(t, dir)
	got, err := s.Sandboxes.Get("aaaa")
	if err != nil {
		t.Fatal(err)
	}
	if got.State != SandboxNotReady || got.Config.Msg.GetLabels()["app"] != "web" || !got.CreatedAt.Equal(time.Unix(100, 5)) {
		t.Errorf("reloaded %+v", got)
	}
}

func TestTableErrors(t *testing.T) {
	s := openStore(t, t.TempDir())
	for _, sb := range []Sandbox{sandbox("abc1", "a"), sandbox("abc2", "b")} {
		if err := s.Sandboxes.Add(sb); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		err   error
		class error
		msg   string
	}{
		{"duplicate name", s.Sandboxes.Add(sandbox("zzz", "a")), errdefs.ErrAlreadyExists, "in use by abc1"},
		{"duplicate ID", s.Sandboxes.Add(sandbox("abc1", "c")), errdefs.ErrAlreadyExists, "abc1"},
		{"ambiguous prefix", second(s.Sandboxes.Get("abc")), errdefs.ErrInvalidArgument, "abc1, abc2"},
		{"unknown", second(s.Sandboxes.Get("nope")), errdefs.ErrNotFound, `"nope"`},
		{"empty ID", second(s.Sandboxes.Get("")), errdefs.ErrInvalidArgument, "empty"},
		{"update unknown", second(s.Sandboxes.Update("nope", func(sb Sandbox) (Sandbox, error) { return sb, nil })), errdefs.ErrNotFound, "nope"},
		{"update renames", second(s.Sandboxes.Update("abc1", func(sb Sandbox) (Sandbox, error) { sb.Name = "x"; return sb, nil })), errdefs.ErrInternal, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.class) || !strings.Contains(tt.err.Error(), tt.msg) {
				t.Errorf("err = %v, want class %v mentioning %q", tt.err, tt.class, tt.msg)
			}
		})
	}
	if sb, _ := s.Sandboxes.Get("abc1"); sb.Name != "a" {
		t.Errorf("a failed update changed the record: %+v", sb)
	}
}

func TestFailedUpdateChangesNothing(t *testing.T) {
	s := openStore(t, t.TempDir())
	s.Sandboxes.Add(sandbox("id1", "a"))
	boom := errors.New("boom")
	if _, err := s.Sandboxes.Update("id1", func(sb Sandbox) (Sandbox, error) {
		sb.State = SandboxNotReady
		return sb, boom
	}); !errors.Is(err, boom) {
		t.Fatalf("Update = %v", err)
	}
	if sb, _ := s.Sandboxes.Get("id1"); sb.State != SandboxReady {
		t.Errorf("state = %s after a failed update", sb.State)
	}
}

func TestDeleteFreesName(t *testing.T) {
	s := openStore(t, t.TempDir())
	s.Sandboxes.Add(sandbox("id1", "a"))
	if err := s.Sandboxes.Delete("id1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Sandboxes.Delete("id1"); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
	if err := s.Sandboxes.Add(sandbox("id2", "a")); err != nil {
		t.Fatalf("name not freed: %v", err)
	}
	if got := s.Sandboxes.List(nil); len(got) != 1 || got[0].ID != "id2" {
		t.Errorf("List = %v", got)
	}
}

func TestListFiltersAndSorts(t *testing.T) {
	s := openStore(t, t.TempDir())
	for _, id := range []string{"c", "a", "b"} {
		s.Containers.Add(Container{ID: id, Name: "n-" + id, State: ContainerCreated})
	}
	s.Containers.Update("b", func(c Container) (Container, error) { return c.To(ContainerRunning) })
	got := s.Containers.List(func(c Container) bool { return c.State == ContainerCreated })
	if len(got) != 2 || got[0].ID != "a" || got[1].ID != "c" {
		t.Errorf("List = %v", got)
	}
}

func TestContainerTransitions(t *testing.T) {
	tests := []struct {
		from, to ContainerState
		ok       bool
	}{
		{ContainerCreated, ContainerRunning, true},
		{ContainerCreated, ContainerExited, true},
		{ContainerRunning, ContainerExited, true},
		{ContainerRunning, ContainerUnknown, true},
		{ContainerUnknown, ContainerExited, true},
		{ContainerExited, ContainerRunning, false},
		{ContainerRunning, ContainerCreated, false},
		{ContainerExited, ContainerExited, false},
	}
	for _, tt := range tests {
		c := Container{ID: "x", State: tt.from}
		got, err := c.To(tt.to)
		if tt.ok != (err == nil) || (tt.ok && got.State != tt.to) {
			t.Errorf("%s → %s: %v, %v", tt.from, tt.to, got.State, err)
		}
		if !tt.ok && !errors.Is(err, errdefs.ErrFailedPrecondition) {
			t.Errorf("%s → %s: error %v is not a failed precondition", tt.from, tt.to, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestOnChangeSeesPersistedChangesInOrder(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	var got []string
	s.Sandboxes.OnChange(func(c Change[Sandbox]) {
		// The change is on disk already: a reopened store would have it.
		got = append(got, fmt.Sprintf("%d %s→%s", c.Op, c.Old.State, c.New.State))
	})
	s.Sandboxes.Add(sandbox("id1", "a"))
	s.Sandboxes.Update("id1", func(sb Sandbox) (Sandbox, error) { sb.State = SandboxNotReady; return sb, nil })
	s.Sandboxes.Update("id1", func(sb Sandbox) (Sandbox, error) { return sb, errors.New("refused") })
	s.Sandboxes.Delete("id1")
	s.Sandboxes.Delete("id1")
	want := []string{"0 →READY", "1 READY→NOTREADY", "2 NOTREADY→"}
	if !slices.Equal(got, want) {
		t.Errorf("changes %q, want %q", got, want)
	}
}
