// Every address no other route takes: a 404 from here rather than from the router finding nothing,
// which in development mode writes the whole address (a share slug, a token in the query) to the
// log as a warning.
const notFound = () => {
  throw new Response("Not found", { status: 404 });
};

export const loader = notFound;
export const action = notFound;
