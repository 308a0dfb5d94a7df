-- a function that is never closed
function greet(req)
  req:headers("X-Greeting", "hello")

