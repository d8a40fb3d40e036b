package domain

import "time"

// RegionLink is how an office node's link to its region goes: what the
// office page raises an alert from and /metrics exports.
type RegionLink struct {
	// Enabled is false when the server is not an office node.
	Enabled  bool   `json:"enabled"`
	OfficeID string `json:"office_id,omitempty"`
	// Linked is whether the leaf link to the region's cluster is up; Since
	// is when it last came up or went down (the node's start if never).
	Linked bool       `json:"linked"`
	Since  *time.Time `json:"since,omitempty"`
	// Alert is true once the link has been down longer than the node
	// allows (--region-link-alert-after): the office page raises it, a
	// shorter cut being a blip the events ride out on the office.
	Alert bool `json:"alert"`
	// Joined is whether the region reads the office's stream: `queue-server
	// region join` made its source consumer there.
	Joined bool `json:"joined"`
	// Published is the seq of the last event in the office's stream.
	Published uint64 `json:"published"`
	// Unsent counts the events of the office's stream the region has not
	// confirmed yet: they wait on the office and go by themselves once
	// the link is up.
	Unsent uint64 `json:"unsent"`
	// Error says why publishing stopped, in a sentence for the person who
	// has to fix it; empty while it runs.
	Error string `json:"error,omitempty"`
}
