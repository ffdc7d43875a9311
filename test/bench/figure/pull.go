package figure

import (
	"context"
	"fmt"
	"time"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/test/bench/report"
	"github.com/skiffrt/skiff/test/bench/stats"
)

var (
	pullCold = report.Figure{Key: "pull_cold_p50", Title: "image pull, cold, 5-layer image, p50", Unit: "ms"}
	pullWarm = report.Figure{Key: "pull_warm_p50", Title: "image pull, warm (present), p50", Unit: "ms"}
)

// Pull pulls ref cold times after removing it (the runtime then fetches
// and unpacks every layer again) and warm times while it is present, and
// records the medians. The image is left present.
func Pull(ctx context.Context, t *Target, ref string, cold, warm int) error {
	pull := func() (time.Duration, error) {
		start := time.Now()
		_, err := t.CRI.Img.PullImage(ctx, &runtime.PullImageRequest{Image: &runtime.ImageSpec{Image: ref}})
		if err != nil {
			return 0, fmt.Errorf("pull %s: %w", ref, err)
		}
		return time.Since(start), nil
	}
	var colds, warms []time.Duration
	for range cold {
		if _, err := t.CRI.Img.RemoveImage(ctx, &runtime.RemoveImageRequest{Image: &runtime.ImageSpec{Image: ref}}); err != nil {
			return fmt.Errorf("remove %s: %w", ref, err)
		}
		d, err := pull()
		if err != nil {
			return err
		}
		colds = append(colds, d)
	}
	for range warm {
		d, err := pull()
		if err != nil {
			return err
		}
		warms = append(warms, d)
	}
	t.set(pullCold, stats.Median(stats.Millis(colds)))
	t.set(pullWarm, stats.Median(stats.Millis(warms)))
	return nil
}
