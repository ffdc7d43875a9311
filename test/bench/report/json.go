package report

import (
	"encoding/json"
	"os"
)

// WriteJSON writes the run, samples included, to path.
func (r *Run) WriteJSON(path string) error {
	raw, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(raw, '\n'), 0o644)
}
