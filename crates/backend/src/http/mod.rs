//! HTTP: the route table and thin handlers (parse, call, map errors).
