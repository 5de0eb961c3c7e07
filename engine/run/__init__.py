"""Running a process: the calendar, fact values, the interpreter (and python-statemachine
as its cross-check), and the record's pure core, which derives a case from its inputs.
Nothing here touches a store."""
