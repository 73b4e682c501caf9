/// ctxedit's version, recorded in every manifest and printed by `ctxedit --version`.
public let ctxeditVersion = "0.1.0"
