package ui

// Speaker announces calls aloud in the hall. The board calls Say for every
// call and recall it learns of live, never for calls a snapshot brings
// back after a reconnect: those are old. The speaker tells the board of a
// sound device that is missing or busy through State and through the
// callback it was made with (Board.SoundState is one).
type Speaker interface {
	// Say queues the announcement and returns at once.
	Say(ticketNumber string, window int) error
	// State is whether sound works and, when not, why, in a sentence.
	State() (ok bool, problem string)
	Close() error
}

// Silent is the speaker of a board without sound (-audio none): calls are
// only shown.
type Silent struct{}

func (Silent) Say(string, int) error { return nil }
func (Silent) State() (bool, string) { return true, "" }
func (Silent) Close() error          { return nil }
