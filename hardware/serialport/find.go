package serialport

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"go.bug.st/serial/enumerator"
)

// lister returns the ports the system has; tests swap it for a fixed list
// because the enumerator sees no pseudo-terminals.
type lister func() ([]*enumerator.PortDetails, error)

func listUSB() ([]*enumerator.PortDetails, error) {
	return enumerator.GetDetailedPortsList()
}

// findByUSB returns the path of the one port with the given USB ids. Two
// matches are an error rather than a guess: cheap USB-serial adapters (CH340
// 1a86:7523, PL2303 067b:2303) share ids, and sending a ticket to the scanner
// or a call to the printer is worse than refusing to start.
func findByUSB(vid, pid string, list lister) (string, error) {
	if vid == "" || pid == "" {
		return "", errors.New("no port path and no USB VID:PID given")
	}
	ports, err := list()
	if err != nil {
		return "", fmt.Errorf("list serial ports to find USB %s:%s: %w", vid, pid, err)
	}
	var matches, seen []string
	for _, p := range ports {
		if !p.IsUSB {
			seen = append(seen, p.Name+" (not USB)")
			continue
		}
		seen = append(seen, fmt.Sprintf("%s (%s:%s)", p.Name, p.VID, p.PID))
		if strings.EqualFold(p.VID, vid) && strings.EqualFold(p.PID, pid) {
			matches = append(matches, p.Name)
		}
	}
	sort.Strings(matches)
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		if len(seen) == 0 {
			return "", fmt.Errorf("no port with USB %s:%s: no serial ports found", vid, pid)
		}
		return "", fmt.Errorf("no port with USB %s:%s among %s", vid, pid, strings.Join(seen, ", "))
	default:
		return "", fmt.Errorf("%d ports with USB %s:%s (%s): set the path instead", len(matches), vid, pid, strings.Join(matches, ", "))
	}
}
