// Package domain holds what Talon is about, free of storage and transport:
// offices and their services, windows, operators and devices; tickets and their
// state machine; appointments; the events every change is recorded as; the one
// error type; and the service interfaces that the engine implements on the
// server and the client SDK implements over HTTP, so that screens and
// integrations depend on an interface, not on a transport.
//
// The types double as the JSON wire format of the API (snake_case fields).
// Nothing here does I/O or reads the wall clock.
package domain
