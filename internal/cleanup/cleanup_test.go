package cleanup

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

func TestCleanRunsNewestFirstOnAFreshContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cu := Make(ctx)
	var order []string
	for _, name := range []string{"a", "b", "c"} {
		cu.Add(name, func(ctx context.Context) error {
			if ctx.Err() != nil {
				t.Errorf("undo %s got a cancelled context", name)
			}
			order = append(order, name)
			return errors.New("failing undos do not stop the others")
		})
	}
	cancel() // The RPC was cancelled; cleanup still runs.
	cu.Clean()
	if want := []string{"c", "b", "a"}; !reflect.DeepEqual(order, want) {
		t.Errorf("order = %v, want %v", order, want)
	}
	cu.Clean() // Nothing left to run.
	if len(order) != 3 {
		t.Errorf("undos ran twice")
	}
}

func TestReleaseKeepsEverything(t *testing.T) {
	cu := Make(context.Background())
	cu.Add("x", func(context.Context) error { t.Error("undo ran after Release"); return nil })
	cu.Release()
	cu.Clean()
}
