// Package history is what the controllers that keep their templates as
// apps/v1 ControllerRevisions share (StatefulSet, DaemonSet), as
// upstream's controller history: kubectl rollout history and undo read
// these revisions and apply their data to the owner as a strategic merge
// patch.
//
//   - A revision is named "<owner>-<hash>", the hash being FNV-32a over
//     its data (and the owner's collisionCount once a namesake with other
//     data was found), written with the alphabet of generated names; it
//     carries the hash as its controller-revision-hash label, the
//     owner's template labels, and the owner's controllerRef.
//   - Revision numbers grow: a new revision gets the highest number + 1;
//     an old template brought back gets a new number instead of a new
//     revision (Renumber).
//   - Create handles hash collisions: an existing revision of the same
//     name and other data raises the collision count and tries again.
package history
