import { createHash, timingSafeEqual } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import { HttpProblem } from "./problem.js";

/** Guards routes with `Authorization: Bearer <token>`. Compares digests, so timing says nothing about the token. */
export function requireBearerToken(token: string) {
  const expected = digest(token);
  return (request: Request, response: Response, next: NextFunction) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "");
    if (match && timingSafeEqual(digest(match[1]!), expected)) {
      next();
      return;
    }
    response.setHeader("WWW-Authenticate", 'Bearer realm="proxyfit"');
    next(
      new HttpProblem(
        "unauthorized",
        match ? "the bearer token is not the one this server expects" : "send Authorization: Bearer <PROXYFIT_API_TOKEN>",
      ),
    );
  };
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
