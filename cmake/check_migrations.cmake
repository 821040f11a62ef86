# Every migration exists in both dialects with the same number and name (a
# dialect may hold a comment-only file): the two lists must be equal.
file(GLOB a RELATIVE ${DIR}/sqlite ${DIR}/sqlite/*.sql)
file(GLOB b RELATIVE ${DIR}/postgres ${DIR}/postgres/*.sql)
list(SORT a)
list(SORT b)
if(NOT a STREQUAL b)
  message(FATAL_ERROR "src/store/migrations: sqlite/ and postgres/ differ:\n  sqlite:   ${a}\n  postgres: ${b}")
endif()
