"""Process files in, a model out: strict YAML with a location for every node, the JSON
Schema and the checks a schema cannot express, every problem at once as file:line:col."""
