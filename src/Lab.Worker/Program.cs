using Lab.Worker;

// "lab-fpm: pool www": one child of the lab's pool (see Child.cs).
return Child.Run(WorkerSettings.FromEnvironment());
