"""One module per Lambda (template.yaml names each): parse the event, call one use case, map the result."""
