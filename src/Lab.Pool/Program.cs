using Lab.Pool;

return MasterProgram.Run(args);
