package ui

import (
	"github.com/talonqueue/talon/internal/terminal"
)

// Strings is what the board says, one value per language (see
// terminal.Strings).
type Strings struct {
	*terminal.Strings

	Ticket  string // the calls' column heads
	Window  string
	Arrow   string
	Waiting string // the head of the people waiting per group
	NoCalls string // before the first call of the day
	// SoundProblem goes before the speaker's own sentence.
	SoundProblem string
}

var russian = Strings{
	Strings:      terminal.StringsFor(terminal.Russian),
	Ticket:       "Талон",
	Window:       "Окно",
	Arrow:        "→",
	Waiting:      "Ожидают",
	NoCalls:      "Ожидайте вызова",
	SoundProblem: "Звук недоступен: ",
}

var english = Strings{
	Strings:      terminal.StringsFor(terminal.English),
	Ticket:       "Ticket",
	Window:       "Window",
	Arrow:        "→",
	Waiting:      "Waiting",
	NoCalls:      "Please wait for your call",
	SoundProblem: "No sound: ",
}

func stringsFor(l terminal.Language) *Strings {
	if l == terminal.English {
		return &english
	}
	return &russian
}
